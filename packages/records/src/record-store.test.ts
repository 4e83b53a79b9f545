import { advisoryLockKey, createPool } from '@weft/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { type SeededConnection, seedConnection } from '../../../test/helpers/fixtures.js';
import { pruneRecords } from './prune-records.js';
import { readRecords, readRecordsBody } from './read-records.js';
import { createRecordStore, type RecordScope, type RecordStore } from './record-store.js';
import { takeRunChanges } from './run-changes.js';

let db: TestDatabase;
let store: RecordStore;
let conn: SeededConnection;

beforeAll(async () => {
  db = await createTestDatabase();
  store = createRecordStore({ pool: db.pool });
  conn = await seedConnection(db.pool);
});
afterAll(() => db.drop());

let modelCounter = 0;
/** A fresh model name per test keeps tests independent on one connection. */
function scope(): RecordScope {
  modelCounter += 1;
  return { environmentId: conn.environmentId, connectionRowId: conn.id, model: `Model${modelCounter}` };
}

async function readAll(
  s: RecordScope,
  options: { cursor?: string; filter?: ('ADDED' | 'UPDATED' | 'DELETED')[] } = {},
) {
  const out: Array<Record<string, unknown> & { _nango_metadata: Record<string, string | null> }> = [];
  let cursor = options.cursor;
  for (;;) {
    const page = await readRecords(db.pool, {
      connectionRowId: s.connectionRowId,
      model: s.model,
      limit: 7,
      ...(cursor === undefined ? {} : { cursor }),
      ...(options.filter ? { actions: options.filter } : {}),
    });
    out.push(...page.records.map((text) => JSON.parse(text)));
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
}

const File = z.object({ id: z.string(), name: z.string().min(1), size: z.number().int().nonnegative() });
const fileSchema = z.toJSONSchema(File);

describe('batchSave', () => {
  it('counts added, updated and unchanged exactly and does not rewrite unchanged records', async () => {
    const s = scope();
    const first = await store.batchSave(s, [
      { id: 'a', name: 'A', size: 1 },
      { id: 'b', name: 'B', size: 2 },
      { id: 'c', name: 'C', size: 3 },
    ]);
    expect(first).toMatchObject({ added: 3, updated: 0, unchanged: 0 });
    const before = await readAll(s);
    // Same content in another key order is unchanged (canonical hash).
    const second = await store.batchSave(s, [
      { size: 1, name: 'A', id: 'a' },
      { id: 'b', name: 'B2', size: 2 },
      { id: 'd', name: 'D', size: 4 },
    ]);
    expect(second).toMatchObject({ added: 1, updated: 1, unchanged: 1 });
    const after = await readAll(s);
    const a0 = before.find((r) => r.id === 'a');
    const a1 = after.find((r) => r.id === 'a');
    expect(a1?._nango_metadata.cursor).toBe(a0?._nango_metadata.cursor);
    expect(a1?._nango_metadata.last_modified_at).toBe(a0?._nango_metadata.last_modified_at);
    const b1 = after.find((r) => r.id === 'b');
    expect(b1).toMatchObject({ name: 'B2', _nango_metadata: { last_action: 'UPDATED', deleted_at: null } });
    expect(after.map((r) => r.id)).toEqual(['a', 'c', 'b', 'd']); // change order
    expect(after.find((r) => r.id === 'd')?._nango_metadata).toMatchObject({ last_action: 'ADDED' });
  });

  it('keeps the last of duplicate ids in one batch, and accepts numeric ids', async () => {
    const s = scope();
    const result = await store.batchSave(s, [
      { id: 1, name: 'first', size: 1 },
      { id: '1', name: 'second', size: 2 },
    ]);
    expect(result).toMatchObject({ added: 1, unchanged: 0 });
    const rows = await readAll(s);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: '1', name: 'second' });
  });

  it('writes large batches through COPY with the same results (escaping included)', async () => {
    const s = scope();
    const records = Array.from({ length: 1500 }, (_, i) => ({
      id: `id\t${i}\\`,
      name: `line\nbreak "quoted" \\ back\\slash ${i} ünïcode`,
      size: i,
    }));
    expect(await store.batchSave(s, records, { jsonSchema: fileSchema })).toMatchObject({ added: 1500 });
    const again = records.map((r, i) => (i % 10 === 0 ? { ...r, size: r.size + 1 } : r));
    expect(await store.batchSave(s, again, { jsonSchema: fileSchema })).toMatchObject({
      added: 0,
      updated: 150,
      unchanged: 1350,
    });
    const rows = await readAll(s);
    expect(rows).toHaveLength(1500);
    expect(rows.find((r) => r.id === 'id\t7\\')).toMatchObject({
      name: 'line\nbreak "quoted" \\ back\\slash 7 ünïcode',
    });
  });

  it('writes small batches (one round trip, rows as array parameters) exactly, whatever the text', async () => {
    const tricky = [
      '$w$',
      '$w',
      'a$w',
      '$w1$',
      '$w1',
      '$$',
      '$',
      "'",
      "''; DROP TABLE records; --",
      '\\',
      "E'x'",
      '$w$w$',
    ];
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc
        .array(fc.oneof(fc.constantFrom(...tricky), fc.string({ unit: 'binary-ascii', maxLength: 3 })), {
          maxLength: 6,
        })
        .map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ id: text.filter((id) => id !== '' && !id.includes('\u0000')), name: text, size: fc.nat() }),
          { minLength: 1, maxLength: 30 },
        ),
        async (records) => {
          const s = scope();
          // Duplicate ids: the last one wins, at its own position (as batchSave collapses them).
          const latest = new Map<string, (typeof records)[number]>();
          for (const record of records) {
            latest.delete(record.id);
            latest.set(record.id, record);
          }
          expect(await store.batchSave(s, records)).toMatchObject({ added: latest.size });
          const rows = await readAll(s);
          expect(rows.map(({ _nango_metadata, ...record }) => record)).toEqual([...latest.values()]);
          expect(await store.batchSave(s, records)).toMatchObject({
            added: 0,
            updated: 0,
            unchanged: latest.size,
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a few records of much text go through COPY, the ones serialised before the switch included', async () => {
    const s = scope();
    const big = (i: number, size: number) => ({
      id: `big\t${i}\\`,
      name: `${'tab\tback\\slash\n'.repeat(8000)}${i}`,
      size,
    });
    const records = Array.from({ length: 12 }, (_, i) => big(i, i)); // ~1.7 MB of text
    const rejected = await store
      .batchSave(s, [...records, big(12, -1)], { jsonSchema: fileSchema })
      .catch((e: unknown) => e);
    expect(rejected).toMatchObject({
      code: 'WEFT_RECORDS_VALIDATION_FAILED',
      details: { problems: [{ recordId: 'big\t12\\' }] },
    });
    expect(await readAll(s)).toHaveLength(0);
    expect(await store.batchSave(s, records, { jsonSchema: fileSchema })).toMatchObject({ added: 12 });
    expect(await store.batchSave(s, records, { jsonSchema: fileSchema })).toMatchObject({ unchanged: 12 });
    expect((await readAll(s)).map(({ _nango_metadata, ...record }) => record)).toEqual(records);
  });

  it('a failing small batch leaves no record in the statement text Postgres sees (parameters only)', async () => {
    // One connection whose lock wait fails at once while another session holds the model's lock:
    // the save fails inside weft_save_records, with its records already sent. The text Postgres
    // keeps of that statement (pg_stat_activity.query, the same text log_min_error_statement
    // writes to the server log) must hold no payload and no id.
    const single = createPool(db.url, { max: 1 });
    const holder = await db.pool.connect();
    try {
      const lone = createRecordStore({ pool: single });
      const s = scope();
      const { rows } = await single.query<{ pid: number }>(
        "SELECT pg_backend_pid() AS pid, set_config('lock_timeout', '1ms', false)",
      );
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [
        advisoryLockKey(`records:${s.connectionRowId}:${s.model}`).toString(),
      ]);
      const failed = await lone
        .batchSave(s, [{ id: 'secret-id-4711', name: 'secret-payload-4711', size: 1 }])
        .catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: '55P03' }); // lock_not_available
      const { rows: activity } = await db.pool.query<{ query: string }>(
        'SELECT query FROM pg_stat_activity WHERE pid = $1',
        [rows[0]?.pid],
      );
      expect(activity[0]?.query).toContain('weft_save_records($1::bigint');
      expect(activity[0]?.query).not.toContain('4711');
      expect(JSON.stringify(failed)).not.toContain('4711');
      expect(String((failed as Error).message)).not.toContain('4711');
      // Nor do its parameters reach the server log: not for a failing statement, nor for a slow one.
      const { rows: settings } = await db.pool.query<{ on_error: string; always: string }>(
        "SELECT current_setting('log_parameter_max_length_on_error') AS on_error, current_setting('log_parameter_max_length') AS always",
      );
      expect(settings[0]).toEqual({ on_error: '0', always: '0' });
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()').catch(() => {});
      holder.release();
      await single.end();
    }
  });

  it('small (one round trip) and large (COPY) batches merge alike: counts, run counts, deletion snapshot', async () => {
    // The merge exists twice (weft_save_records in migration 210, the staged one in sql.ts): the
    // same writes through each must leave the same records, counts and seen marks.
    const outcome = async (batch: number) => {
      const s = { ...scope(), runId: `run-${modelCounter}` };
      const records = (v: number) => Array.from({ length: 600 }, (_, i) => ({ id: `r${i}`, v: i % 3 === 0 ? v : 0 }));
      const calls = async (v: number) => {
        const all = records(v);
        const results = [];
        for (let i = 0; i < all.length; i += batch) results.push(await store.batchSave(s, all.slice(i, i + batch)));
        return results
          .map(({ added, updated, unchanged }) => ({ added, updated, unchanged }))
          .reduce((a, r) => ({
            added: a.added + r.added,
            updated: a.updated + r.updated,
            unchanged: a.unchanged + r.unchanged,
          }));
      };
      const first = await calls(1);
      await store.batchDelete(s, [{ id: 'r1' }]);
      await store.trackDeletesStart(s);
      const second = await calls(2);
      const ended = await store.trackDeletesEnd(s);
      const run = await takeRunChanges(db.pool, [s.runId]);
      const rows = (await readAll(s)).map(({ _nango_metadata, ...r }) => [r, _nango_metadata.last_action]);
      return { first, second, deleted: ended.deleted, run: run[s.model], rows };
    };
    const small = await outcome(100);
    expect(small).toMatchObject({
      first: { added: 600, updated: 0, unchanged: 0 },
      second: { added: 1, updated: 200, unchanged: 399 },
      deleted: 0,
      run: { added: 601, updated: 200, deleted: 1 },
    });
    expect(await outcome(600)).toEqual(small);
  });

  it('rejects records without an id, naming the index, and writes nothing', async () => {
    const s = scope();
    await expect(store.batchSave(s, [{ id: 'ok', name: 'x', size: 1 }, { name: 'no id' }])).rejects.toMatchObject({
      code: 'WEFT_RECORDS_INVALID_RECORD',
      message: `Record #1 of model ${s.model} has no \`id\``,
    });
    expect(await readAll(s)).toHaveLength(0);
  });
});

describe('validation', () => {
  it('reject: names record id, path and reason, and writes nothing of the batch', async () => {
    const s = scope();
    const error = await store
      .batchSave(
        s,
        [
          { id: 'good', name: 'fine', size: 1 },
          { id: 'bad', name: 'oops', size: -5 },
        ],
        { jsonSchema: fileSchema },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'WEFT_RECORDS_VALIDATION_FAILED',
      details: { problems: [{ recordId: 'bad', path: '/size' }] },
    });
    expect((error as Error).message).toMatch(/Record bad of model Model\d+ is invalid at \/size: must be >= 0/);
    const missing = await store
      .batchSave(s, [{ id: 'm', size: 1 }], { jsonSchema: fileSchema })
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain('invalid at /name: is required');
    expect(await readAll(s)).toHaveLength(0);
  });

  it('a rejected first batch on a pooled connection does not break the next batch on it', async () => {
    // One connection, so the second batch reuses the session whose staging table the first
    // batch created inside the transaction its rejection rolled back. Large batches go through
    // the staging table (COPY); small ones do not touch it.
    const single = createPool(db.url, { max: 1 });
    try {
      const lone = createRecordStore({ pool: single });
      const s = scope();
      const many = (prefix: string, size: number) =>
        Array.from({ length: 600 }, (_, i) => ({ id: `${prefix}${i}`, name: 'fine', size: i === 599 ? size : i }));
      for (const batch of [[{ id: 'bad', name: 'oops', size: -1 }], many('bad', -1)]) {
        const rejected = await lone.batchSave(s, batch, { jsonSchema: fileSchema }).catch((e: unknown) => e);
        expect(rejected).toMatchObject({ code: 'WEFT_RECORDS_VALIDATION_FAILED' });
      }
      expect(await lone.batchSave(s, [{ id: 'ok', name: 'fine', size: 1 }], { jsonSchema: fileSchema })).toMatchObject({
        added: 1,
      });
      expect(await lone.batchSave(s, many('ok', 1), { jsonSchema: fileSchema })).toMatchObject({ added: 600 });
      expect(await readAll(s)).toHaveLength(601);
    } finally {
      await single.end();
    }
  });

  it('warn stores the record and reports it; off skips the check', async () => {
    const s = scope();
    const warnings: unknown[] = [];
    const result = await store.batchSave(s, [{ id: 'w', name: '', size: 1 }], {
      jsonSchema: fileSchema,
      validation: 'warn',
      onWarning: (w) => warnings.push(w),
    });
    expect(result.added).toBe(1);
    expect(warnings).toEqual([
      { recordId: 'w', path: '/name', reason: expect.stringContaining('must NOT have fewer') },
    ]);
    expect(
      (await store.batchSave(s, [{ id: 'o', size: 'x' }], { jsonSchema: fileSchema, validation: 'off' })).added,
    ).toBe(1);
  });
});

describe('batchUpdate and batchDelete', () => {
  it('deep-merges into the stored record and validates the merged result', async () => {
    const s = scope();
    await store.batchSave(s, [{ id: 'r', name: 'n', size: 1, meta: { a: 1, b: { c: 2 } }, tags: ['x'] }]);
    const result = await store.batchUpdate(s, [
      { id: 'r', meta: { b: { d: 3 } }, tags: ['y'] },
      { id: 'missing', name: 'ghost' },
    ]);
    expect(result).toMatchObject({ updated: 1, notFound: 1, added: 0 });
    const rows = await readAll(s);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'r', name: 'n', meta: { a: 1, b: { c: 2, d: 3 } }, tags: ['y'] });
    await expect(
      store.batchUpdate(s, [{ id: 'r', size: -1 }], { jsonSchema: z.toJSONSchema(File.loose()) }),
    ).rejects.toMatchObject({ code: 'WEFT_RECORDS_VALIDATION_FAILED' });
  });

  it('concurrent writers to the same record never lose an update', async () => {
    const s = scope();
    await store.batchSave(s, [{ id: 'shared', counters: {} }]);
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => store.batchUpdate(s, [{ id: 'shared', counters: { [`w${i}`]: i } }])),
    );
    const [row] = await readAll(s);
    expect(Object.keys(row?.counters as object)).toHaveLength(24);
  });

  it('tombstones deletes once, keeps them readable with filter=deleted, and re-adds on save', async () => {
    const s = scope();
    await store.batchSave(s, [
      { id: '1', name: 'a', size: 1 },
      { id: '2', name: 'b', size: 2 },
    ]);
    expect(await store.batchDelete(s, [{ id: '1' }, { id: 'nope' }])).toMatchObject({ deleted: 1, notFound: 1 });
    expect(await store.batchDelete(s, [{ id: '1' }])).toMatchObject({ deleted: 0, notFound: 1 });
    const deleted = await readAll(s, { filter: ['DELETED'] });
    expect(deleted).toHaveLength(1);
    expect(deleted[0]?._nango_metadata).toMatchObject({ last_action: 'DELETED' });
    expect(deleted[0]?._nango_metadata.deleted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await store.batchSave(s, [{ id: '1', name: 'a', size: 1 }])).toMatchObject({ added: 1 });
    expect((await readAll(s, { filter: ['DELETED'] })).length).toBe(0);
  });
});

describe('deletion detection', () => {
  it('an interrupted snapshot deletes nothing; a completed one tombstones exactly the unseen records', async () => {
    const s = scope();
    const all = Array.from({ length: 10 }, (_, i) => ({ id: `f${i}`, name: `n${i}`, size: i }));
    await store.batchSave(s, all);

    // Run 1 starts a snapshot, saves part of it, then "crashes" (never reaches End).
    await store.trackDeletesStart(s);
    await store.batchSave(s, all.slice(0, 3));
    expect((await readAll(s, { filter: ['DELETED'] })).length).toBe(0);
    expect(await store.openSnapshot(s)).not.toBeNull();

    // Run 2 resumes from its checkpoint: continues the same snapshot without restarting it.
    await store.batchSave(s, all.slice(3, 7)); // f7..f9 vanished upstream
    const end = await store.trackDeletesEnd(s);
    expect(end.deleted).toBe(3);
    const deleted = await readAll(s, { filter: ['DELETED'] });
    expect(deleted.map((r) => r.id).sort()).toEqual(['f7', 'f8', 'f9']);
    expect(await store.openSnapshot(s)).toBeNull();
    await expect(store.trackDeletesEnd(s)).rejects.toMatchObject({ code: 'WEFT_RECORDS_SNAPSHOT_NOT_STARTED' });
  });

  it('restarting a snapshot forgets what the abandoned one saw', async () => {
    const s = scope();
    await store.batchSave(s, [
      { id: 'x', v: 1 },
      { id: 'y', v: 1 },
    ]);
    await store.trackDeletesStart(s);
    await store.batchSave(s, [{ id: 'x', v: 1 }]);
    await store.trackDeletesStart(s); // a new full pass
    await store.batchSave(s, [{ id: 'y', v: 1 }]);
    expect((await store.trackDeletesEnd(s)).deleted).toBe(1);
    expect((await readAll(s, { filter: ['DELETED'] })).map((r) => r.id)).toEqual(['x']);
  });
});

describe('cursor reads', () => {
  it('rejects cursors Weft did not issue', async () => {
    const s = scope();
    for (const cursor of ['', 'abc', 'w1.', 'w1.bm90LWEtbnVtYmVy', 'w1.MTI=']) {
      await expect(
        readRecords(db.pool, { connectionRowId: s.connectionRowId, model: s.model, cursor }),
      ).rejects.toMatchObject({
        code: 'WEFT_RECORDS_INVALID_CURSOR',
      });
    }
  });

  it('microsecond timestamps never loop the cursor (many records share a timestamp)', async () => {
    const s = scope();
    await store.batchSave(
      s,
      Array.from({ length: 250 }, (_, i) => ({ id: `t${i}`, v: i })),
    );
    const rows = await readAll(s);
    expect(rows).toHaveLength(250);
    expect(new Set(rows.map((r) => r.id)).size).toBe(250);
    expect(new Set(rows.map((r) => r._nango_metadata.last_modified_at)).size).toBe(1);
  });

  it('a consumer following cursors while writers run sees every change exactly once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('save' as const),
              ids: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 }),
              v: fc.nat(3),
            }),
            fc.record({
              kind: fc.constant('delete' as const),
              ids: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 5 }),
            }),
            fc.record({ kind: fc.constant('read' as const), limit: fc.integer({ min: 1, max: 9 }) }),
          ),
          { minLength: 5, maxLength: 40 },
        ),
        async (ops) => {
          const s = scope();
          // Consumer state: last cursor and the view it reconstructed; every change it sees must be new.
          let cursor: string | undefined;
          const view = new Map<string, { v: unknown; deleted: boolean; cursor: string }>();
          const seenCursors = new Set<string>();
          const consume = async (limit: number, untilCaughtUp: boolean) => {
            for (;;) {
              const page = await readRecords(db.pool, {
                connectionRowId: s.connectionRowId,
                model: s.model,
                limit,
                ...(cursor === undefined ? {} : { cursor }),
              });
              for (const text of page.records) {
                const r = JSON.parse(text) as {
                  id: string;
                  v: unknown;
                  _nango_metadata: { cursor: string; last_action: string };
                };
                expect(seenCursors.has(r._nango_metadata.cursor)).toBe(false);
                seenCursors.add(r._nango_metadata.cursor);
                view.set(r.id, {
                  v: r.v,
                  deleted: r._nango_metadata.last_action === 'DELETED',
                  cursor: r._nango_metadata.cursor,
                });
                cursor = r._nango_metadata.cursor;
              }
              if (!untilCaughtUp || page.nextCursor === null) return;
            }
          };
          // Writers run concurrently with reads: each op starts without waiting for the previous write.
          const inFlight: Promise<unknown>[] = [];
          for (const op of ops) {
            if (op.kind === 'save')
              inFlight.push(
                store.batchSave(
                  s,
                  op.ids.map((id) => ({ id: `r${id}`, v: op.v })),
                ),
              );
            else if (op.kind === 'delete')
              inFlight.push(
                store.batchDelete(
                  s,
                  op.ids.map((id) => ({ id: `r${id}` })),
                ),
              );
            else await consume(op.limit, false);
          }
          await Promise.all(inFlight);
          await consume(50, true);
          const truth = await db.pool.query<{ external_id: string; v: unknown; deleted: boolean }>(
            `SELECT external_id, payload->'v' AS v, deleted_at IS NOT NULL AS deleted FROM records WHERE connection_id = $1 AND model = $2`,
            [s.connectionRowId, s.model],
          );
          expect(view.size).toBe(truth.rows.length);
          for (const row of truth.rows) {
            expect(view.get(row.external_id)).toMatchObject({ v: row.v, deleted: row.deleted });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('response body', () => {
  it('the body written into a Buffer is the JSON of the string page, for any text, tombstones and pruned payloads', async () => {
    const s = scope();
    // Multi-byte text (3-byte CJK, 4-byte emoji, escapes) makes the body larger than the ASCII
    // estimate, so the writer has to grow its buffer mid-page.
    const texts = ['plain', 'héllo wörld', '漢字'.repeat(400), '🧵'.repeat(300), 'quote " back \\ slash\nline', ''];
    await store.batchSave(
      s,
      texts.flatMap((text, i) => [0, 1, 2].map((j) => ({ id: `r${i}-${j}`, text, n: i * 10 + j }))),
    );
    await store.batchDelete(s, [{ id: 'r1-0' }, { id: 'r3-2' }]);
    const first = await readRecords(db.pool, { connectionRowId: s.connectionRowId, model: s.model, limit: 2 });
    await pruneRecords(db.pool, {
      connectionRowId: s.connectionRowId,
      model: s.model,
      untilCursor: first.nextCursor ?? '',
    });

    for (const query of [
      { limit: 1000 },
      { limit: 4 },
      { limit: 5, cursor: first.nextCursor ?? '' },
      { limit: 10, actions: ['DELETED' as const] },
      { ids: ['r2-1', 'r4-0', 'missing'] },
    ]) {
      const q = { connectionRowId: s.connectionRowId, model: s.model, ...query };
      const page = await readRecords(db.pool, q);
      const { body, nextCursor } = await readRecordsBody(db.pool, q);
      expect(nextCursor).toBe(page.nextCursor);
      const parsed = JSON.parse(body.toString('utf8')) as { records: unknown[]; next_cursor: string | null };
      expect(parsed).toEqual({ records: page.records.map((r) => JSON.parse(r)), next_cursor: page.nextCursor });
    }
    const all = JSON.parse(
      (
        await readRecordsBody(db.pool, { connectionRowId: s.connectionRowId, model: s.model, limit: 1000 })
      ).body.toString(),
    ) as { records: Array<{ id: string; text?: string; _nango_metadata: Record<string, string | null> }> };
    expect(all.records).toHaveLength(texts.length * 3);
    expect(all.records.find((r) => r.id === 'r2-1')?.text).toBe(texts[2]);
    expect(all.records.find((r) => r.id === 'r3-2')?._nango_metadata.last_action).toBe('DELETED');
    expect(all.records.filter((r) => r._nango_metadata.pruned_at !== null)).toHaveLength(2);
  });
});

describe('lifecycle', () => {
  it('deleting a connection removes its records (and only its records)', async () => {
    const other = await seedConnection(db.pool, { environmentId: conn.environmentId });
    const s: RecordScope = { environmentId: other.environmentId, connectionRowId: other.id, model: 'Gone' };
    const kept = scope();
    await store.batchSave(s, [{ id: '1' }, { id: '2' }]);
    await store.batchSave(kept, [{ id: '1' }]);
    await db.pool.query('DELETE FROM connections WHERE id = $1', [other.id]);
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM records WHERE connection_id = $1',
      [other.id],
    );
    expect(rows[0]?.n).toBe(0);
    expect(await readAll(kept)).toHaveLength(1);
  });
});
