import type { ConnectionRowId, Pool, PoolClient } from '@weft/db';
import { advisoryLockKey, copyText } from '@weft/db';
import { from as copyFrom } from 'pg-copy-streams';
import { binaryTextArray, JSON_OID, TEXT_OID } from './binary-text-array.js';
import { canonicalJson, contentHash } from './canonical-json.js';
import { recordsErrors } from './errors.js';
import { openPayload, type RecordCipher } from './record-cipher.js';
import { countRunChanges } from './run-changes.js';
import * as sql from './sql.js';
import {
  createRecordChecker,
  type RecordChecker,
  type ValidationPolicy,
  type ValidationProblem,
} from './validate-records.js';

/** Which records a write touches: one model of one connection (connections.id, not the external id). */
export interface RecordScope {
  environmentId: number;
  connectionRowId: ConnectionRowId;
  model: string;
  /**
   * The sync run writing: its changes are counted in the same transaction (record_run_changes),
   * so the run's reported counts survive a crash of the process. Unset for actions and dryruns.
   */
  runId?: string;
}

export interface WriteOptions {
  /** The model's JSON Schema (from deploy). Without it nothing is validated. */
  jsonSchema?: object;
  /** @default 'reject' */
  validation?: ValidationPolicy;
  /** Called for each invalid record under the `warn` policy. */
  onWarning?: (problem: ValidationProblem) => void;
}

/** Exact counts of what one call changed; `unchanged` records were identical and not rewritten. */
export interface WriteResult {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** batchUpdate/batchDelete only: ids that matched no live record (nothing was written for them). */
  notFound: number;
}

export interface SnapshotInfo {
  startedAt: string;
}

export interface RecordStore {
  /** Upsert; records identical to the stored version are skipped, duplicate ids → last wins. Atomic. */
  batchSave(scope: RecordScope, records: readonly unknown[], options?: WriteOptions): Promise<WriteResult>;
  /** Deep-merge each record into the stored one (objects merge, arrays and scalars replace). Atomic. */
  batchUpdate(scope: RecordScope, records: readonly unknown[], options?: WriteOptions): Promise<WriteResult>;
  /** Tombstone the given ids (payload kept until retention prunes it). Atomic. */
  batchDelete(scope: RecordScope, records: readonly unknown[]): Promise<WriteResult>;
  /** Open (or restart) the deletion snapshot of the model; it survives the run so checkpointed runs can continue it. */
  trackDeletesStart(scope: RecordScope): Promise<SnapshotInfo>;
  /** Tombstone every live record not saved since trackDeletesStart, then close the snapshot. */
  trackDeletesEnd(scope: RecordScope): Promise<WriteResult>;
  /** The open snapshot of the model, if any. */
  openSnapshot(scope: RecordScope): Promise<SnapshotInfo | null>;
}

/** Longest record id, in UTF-8 bytes: the primary-key index entry must fit in a Postgres page slot. */
const MAX_ID_BYTES = 2048;

// Below this many rows one unnest INSERT beats COPY (measured: notes/limits.md §1).
const COPY_THRESHOLD = 200;

// Up to this many rows, and this much text, a batchSave is one round trip with its rows as
// array parameters of weft_save_records. Above, COPY's streaming wins (validation overlaps Postgres' parsing;
// measured interleaved with COPY: ~10% faster per call at 500 and 700 rows, ~8% slower at 1000)
// and keeps the backend's memory per row bounded (parameters are held whole, as text and as
// arrays, while the statement runs).
const ONE_ROUND_TRIP_ROWS = 500;
const ONE_ROUND_TRIP_CHARS = 1 << 20;

const stagingReady = new WeakSet<PoolClient>();

interface Prepared {
  id: string;
  record: Record<string, unknown>;
}

function recordId(record: unknown, index: number, model: string): string {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw recordsErrors.create('WEFT_RECORDS_INVALID_RECORD', { index, model, reason: 'is not an object' }, { index });
  }
  const id = (record as { id?: unknown }).id;
  if (typeof id === 'string' && id !== '') {
    // Postgres stores neither a NUL in text nor a key longer than an index entry: refuse such an
    // id here, naming the record, rather than failing the whole run as a retryable database error.
    const unstorable = id.includes('\u0000')
      ? 'contains a NUL byte (\\u0000)'
      : id.length > MAX_ID_BYTES / 4 && Buffer.byteLength(id) > MAX_ID_BYTES
        ? `is longer than ${MAX_ID_BYTES} bytes`
        : undefined;
    if (unstorable === undefined) return id;
    throw recordsErrors.create(
      'WEFT_RECORDS_INVALID_RECORD',
      { index, model, reason: `has an id Postgres cannot store (${JSON.stringify(id.slice(0, 80))} ${unstorable})` },
      { index, id: id.slice(0, 200) },
    );
  }
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  throw recordsErrors.create(
    'WEFT_RECORDS_INVALID_RECORD',
    {
      index,
      model,
      reason: id === undefined ? 'has no `id`' : `has an invalid id ${JSON.stringify(id) ?? String(id)}`,
    },
    { index },
  );
}

/** Check shapes and collapse duplicate ids (last one wins, keeping its position order). */
function prepare(records: readonly unknown[], model: string): Prepared[] {
  const byId = new Map<string, Prepared>();
  records.forEach((record, index) => {
    const id = recordId(record, index, model);
    byId.delete(id);
    byId.set(id, { id, record: record as Record<string, unknown> });
  });
  return [...byId.values()];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key (recursively); arrays, scalars and null replace. */
export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = Object.hasOwn(out, key) ? out[key] : undefined;
    const next = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
    // defineProperty: a "__proto__" member (possible in parsed JSON) must stay data, not become the prototype.
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * BEGIN and take the (connection, model) lock in one round trip. The lock serialises writers of
 * one model: seq values are then taken in commit order, which is what makes cursor reads
 * exactly-once, and concurrent merges never lose an update. The key is a bigint we computed, so
 * inlining it in the SQL text is safe.
 */
async function beginLocked(client: PoolClient, scope: RecordScope): Promise<void> {
  const key = advisoryLockKey(`records:${scope.connectionRowId}:${scope.model}`);
  await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${key.toString()})`);
}

/**
 * Load rows into the session's staging table, validating each one on the way: COPY streams
 * 64 KB chunks so Postgres parses one while the next is checked and serialised. A rejected
 * record stops serialisation (the rest is only checked, to report up to 20 problems) and
 * `checker.finish()` throws before anything is merged.
 */
async function stage(
  client: PoolClient,
  rows: Prepared[],
  checker: RecordChecker,
  cipher: RecordCipher | undefined,
): Promise<void> {
  if (!stagingReady.has(client)) {
    await client.query(sql.CREATE_STAGING);
    stagingReady.add(client);
  }
  let valid = true;
  if (rows.length < COPY_THRESHOLD) {
    const ids: string[] = [];
    const payloads: string[] = [];
    const hashes: string[] = [];
    for (const row of rows) {
      valid = checker.check(row.id, row.record) && valid;
      if (!valid) continue;
      const json = canonicalJson(row.record);
      ids.push(row.id);
      payloads.push(cipher ? cipher.seal(json) : json);
      hashes.push(cipher ? cipher.hash(json) : contentHash(json));
    }
    checker.finish();
    await client.query(sql.INSERT_STAGING, [ids, payloads, hashes]);
    return;
  }
  await copyStaged(client, sql.COPY_STAGING, rows, checker, cipher);
}

/**
 * COPY rows into the staging table with `text` (which may begin the transaction first), checking
 * and serialising them as they stream: COPY takes 64 KB chunks, so Postgres parses one while the
 * next is checked. A rejected record stops serialisation (the rest is only checked, to report up
 * to 20 problems) and `checker.finish()` throws once the COPY is done: the caller rolls back.
 */
async function copyStaged(
  client: PoolClient,
  text: string,
  rows: Prepared[],
  checker: RecordChecker,
  cipher: RecordCipher | undefined,
  head?: Serialised,
): Promise<void> {
  const stream = client.query(copyFrom(text));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // Rows already checked and serialised (by a batch that outgrew one round trip) go first.
  let valid = head?.valid ?? true;
  let chunk = '';
  for (let i = 0; valid && i < (head?.ids.length ?? 0); i++) {
    const h = head as Serialised;
    chunk += `${copyText(h.ids[i] as string)}\t${cipher ? h.payloads[i] : copyText(h.payloads[i] as string)}\t${h.hashes[i]}\n`;
  }
  for (let i = head?.next ?? 0; i < rows.length; i++) {
    const row = rows[i] as Prepared;
    valid = checker.check(row.id, row.record) && valid;
    if (!valid) continue;
    const json = canonicalJson(row.record);
    // Sealed payloads are base64 in a JSON string: nothing in them needs COPY escaping.
    chunk += cipher
      ? `${copyText(row.id)}\t${cipher.seal(json)}\t${cipher.hash(json)}\n`
      : `${copyText(row.id)}\t${copyText(json)}\t${contentHash(json)}\n`;
    if (chunk.length > 65_536) {
      // A failed COPY never drains: stop waiting when it ends.
      if (!stream.write(chunk)) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done]);
      chunk = '';
    }
  }
  stream.end(valid ? chunk : '');
  await done;
  checker.finish(); // the transaction rolls back: staged rows are never merged
}

/** The first rows of a batch, checked and serialised; `next` is the first row not checked yet. */
interface Serialised {
  ids: string[];
  payloads: string[];
  hashes: string[];
  next: number;
  valid: boolean;
}

/**
 * Check and serialise rows until their text passes `maxChars`. A rejected record stops
 * serialisation (the rest is only checked, to report up to 20 problems).
 */
function serialise(
  rows: Prepared[],
  checker: RecordChecker,
  cipher: RecordCipher | undefined,
  maxChars: number,
): Serialised {
  const out: Serialised = { ids: [], payloads: [], hashes: [], next: 0, valid: true };
  let chars = 0;
  while (out.next < rows.length && chars <= maxChars) {
    const row = rows[out.next++] as Prepared;
    out.valid = checker.check(row.id, row.record) && out.valid;
    if (!out.valid) continue;
    const json = canonicalJson(row.record);
    const payload = cipher ? cipher.seal(json) : json;
    out.ids.push(row.id);
    out.payloads.push(payload);
    out.hashes.push(cipher ? cipher.hash(json) : contentHash(json));
    chars += row.id.length + payload.length;
  }
  return out;
}

async function inTransaction<T>(pool: Pool, scope: RecordScope, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await beginLocked(client, scope);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    // The staging table may have been created in this transaction: the rollback dropped it, so
    // the next batch on this pooled connection must create it again ("relation weft_incoming
    // does not exist" after a rejected batch otherwise).
    stagingReady.delete(client);
    throw error;
  } finally {
    client.release();
  }
}

function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer id: ${value}`);
  return String(value);
}

const empty = (): WriteResult => ({ added: 0, updated: 0, deleted: 0, unchanged: 0, notFound: 0 });

export interface RecordStoreOptions {
  pool: Pool;
  /** Seal payloads at rest (`WEFT_RECORDS_ENCRYPTION=on`); without it payloads are stored as JSON. */
  cipher?: RecordCipher;
}

export function createRecordStore(options: RecordStoreOptions): RecordStore {
  const { pool, cipher } = options;

  /**
   * batchSave in one transaction. A small batch is one round trip: one parameterised statement in
   * autocommit, weft_save_records (lock, merge, count, all committed together; sql.SAVE_RECORDS).
   * A larger one is two on one connection: BEGIN + COPY into staging, then lock + merge + count +
   * COMMIT as one query (sql.saveLockedAndCommit). Either way the lock is taken in the round trip
   * that commits, so concurrent writers of a model wait less, and seq is taken under it: commit
   * order equals seq order. The run's counts commit with the records.
   */
  async function save(scope: RecordScope, rows: Prepared[], checker: RecordChecker): Promise<WriteResult> {
    const head =
      rows.length <= ONE_ROUND_TRIP_ROWS ? serialise(rows, checker, cipher, ONE_ROUND_TRIP_CHARS) : undefined;
    const key = advisoryLockKey(`records:${scope.connectionRowId}:${scope.model}`);
    let counts: { added: number; updated: number } | undefined;
    if (head?.next === rows.length) {
      checker.finish(); // a rejected batch fails before it is sent
      // Not pool.query: that discards the connection when the statement fails; nothing here
      // leaves a transaction open (autocommit), so the connection stays reusable.
      const client = await pool.connect();
      try {
        // A named statement: each pooled connection parses and plans it once, later calls only
        // bind and run (~0.13 ms less per call, measured at 100 records). The rows go as binary
        // arrays (binary-text-array.ts): ~0.4 ms less per 100 records than array literals.
        const { rows: result } = await client.query<{ added: number; updated: number }>({
          name: 'weft_save_records',
          text: sql.SAVE_RECORDS,
          values: [
            key.toString(),
            scope.connectionRowId,
            scope.model,
            scope.environmentId,
            scope.runId ?? null,
            binaryTextArray(TEXT_OID, head.ids),
            binaryTextArray(JSON_OID, head.payloads),
            binaryTextArray(TEXT_OID, head.hashes),
          ],
        });
        counts = result[0];
      } finally {
        client.release();
      }
    } else {
      counts = await saveStaged(scope, key, rows, checker, head);
    }
    const added = Number(counts?.added ?? 0);
    const updated = Number(counts?.updated ?? 0);
    return { ...empty(), added, updated, unchanged: rows.length - added - updated };
  }

  /** The staged path of save: COPY (after the rows `head` already serialised), then merge and COMMIT. */
  async function saveStaged(
    scope: RecordScope,
    key: bigint,
    rows: Prepared[],
    checker: RecordChecker,
    head: Serialised | undefined,
  ): Promise<{ added: number; updated: number } | undefined> {
    const client = await pool.connect();
    try {
      await copyStaged(client, sql.beginAndCopyStaging(!stagingReady.has(client)), rows, checker, cipher, head);
      stagingReady.add(client);
      const target = {
        connectionId: integerLiteral(scope.connectionRowId),
        model: client.escapeLiteral(scope.model),
        environmentId: integerLiteral(scope.environmentId),
      };
      const runId = scope.runId === undefined ? undefined : client.escapeLiteral(scope.runId);
      // Three statements answer three results; the merge's counts are the second.
      const results = (await client.query(sql.saveLockedAndCommit(key, target, runId))) as unknown as {
        rows: { added: number; updated: number }[];
      }[];
      return results[1]?.rows[0];
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // The staging table may have been created in this transaction: the rollback dropped it.
      stagingReady.delete(client);
      throw error;
    } finally {
      client.release();
    }
  }

  return {
    async batchSave(scope, records, writeOptions = {}) {
      const rows = prepare(records, scope.model);
      if (rows.length === 0) return empty();
      const checker = createRecordChecker(
        scope.model,
        writeOptions.jsonSchema,
        writeOptions.validation ?? 'reject',
        writeOptions.onWarning,
      );
      return save(scope, rows, checker);
    },

    async batchUpdate(scope, records, writeOptions = {}) {
      const patches = prepare(records, scope.model);
      if (patches.length === 0) return empty();
      return inTransaction(pool, scope, async (client) => {
        const { rows: existing } = await client.query<{
          external_id: string;
          payload: Record<string, unknown> | string;
        }>(sql.SELECT_PAYLOADS_FOR_MERGE, [scope.connectionRowId, scope.model, patches.map((p) => p.id)]);
        // node-pg parses the json column: a sealed payload arrives as its JSON string.
        const current = new Map(
          existing.map((row) => [
            row.external_id,
            typeof row.payload === 'string'
              ? (JSON.parse(openPayload(JSON.stringify(row.payload), cipher)) as Record<string, unknown>)
              : row.payload,
          ]),
        );
        const merged: Prepared[] = [];
        for (const patch of patches) {
          const base = current.get(patch.id);
          if (base !== undefined) merged.push({ id: patch.id, record: deepMerge(base, patch.record) });
        }
        const checker = createRecordChecker(
          scope.model,
          writeOptions.jsonSchema,
          writeOptions.validation ?? 'reject',
          writeOptions.onWarning,
        );
        const notFound = patches.length - merged.length;
        if (merged.length === 0) return { ...empty(), notFound };
        await stage(client, merged, checker, cipher);
        const { rows: counts } = await client.query<{ added: number; updated: number }>(sql.UPSERT_UPDATE, [
          scope.connectionRowId,
          scope.model,
          scope.environmentId,
        ]);
        const updated = counts[0]?.updated ?? 0;
        if (scope.runId !== undefined)
          await countRunChanges(client, scope.runId, scope.model, { added: 0, updated, deleted: 0 });
        return { ...empty(), updated, unchanged: merged.length - updated, notFound };
      });
    },

    async batchDelete(scope, records) {
      const ids = prepare(records, scope.model).map((row) => row.id);
      if (ids.length === 0) return empty();
      return inTransaction(pool, scope, async (client) => {
        const result = await client.query(sql.TOMBSTONE_IDS, [scope.connectionRowId, scope.model, ids]);
        const deleted = result.rowCount ?? 0;
        if (scope.runId !== undefined)
          await countRunChanges(client, scope.runId, scope.model, { added: 0, updated: 0, deleted });
        return { ...empty(), deleted, notFound: ids.length - deleted };
      });
    },

    async trackDeletesStart(scope) {
      return inTransaction(pool, scope, async (client) => {
        await client.query(sql.RESTART_SNAPSHOT_DELETE, [scope.connectionRowId, scope.model]);
        const { rows } = await client.query<{ started_at: string }>(sql.RESTART_SNAPSHOT_INSERT, [
          scope.connectionRowId,
          scope.model,
        ]);
        return { startedAt: rows[0]?.started_at ?? '' };
      });
    },

    async trackDeletesEnd(scope) {
      return inTransaction(pool, scope, async (client) => {
        const { rows } = await client.query<{ id: number }>(sql.FIND_SNAPSHOT, [scope.connectionRowId, scope.model]);
        const snapshot = rows[0];
        if (snapshot === undefined) {
          throw recordsErrors.create('WEFT_RECORDS_SNAPSHOT_NOT_STARTED', { model: scope.model });
        }
        const result = await client.query(sql.TOMBSTONE_UNSEEN, [scope.connectionRowId, scope.model, snapshot.id]);
        await client.query(sql.CLOSE_SNAPSHOT, [snapshot.id]);
        const deleted = result.rowCount ?? 0;
        if (scope.runId !== undefined)
          await countRunChanges(client, scope.runId, scope.model, { added: 0, updated: 0, deleted });
        return { ...empty(), deleted };
      });
    },

    async openSnapshot(scope) {
      const { rows } = await pool.query<{ started_at: string }>(sql.FIND_SNAPSHOT, [
        scope.connectionRowId,
        scope.model,
      ]);
      const row = rows[0];
      return row === undefined ? null : { startedAt: row.started_at };
    },
  };
}
