import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { type SeededConnection, seedConnection } from '../../../test/helpers/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import { readRecords, readRecordsBody } from './read-records.js';
import { createRecordCipher, deriveRecordsKey } from './record-cipher.js';
import { createRecordStore, type RecordScope } from './record-store.js';
import { resealRecords } from './reseal-records.js';

const master = randomBytes(32);
const hashKey = deriveRecordsKey(master, 'records-hash');
const keyA = deriveRecordsKey(master, 'records-encryption');
const keyB = randomBytes(32);
const cipherA = createRecordCipher({ current: keyA, hashKey });

let db: TestDatabase;
let conn: SeededConnection;
let n = 0;
const scope = (): RecordScope => ({ environmentId: conn.environmentId, connectionRowId: conn.id, model: `Enc${++n}` });

beforeAll(async () => {
  db = await createTestDatabase();
  conn = await seedConnection(db.pool);
});
afterAll(() => db.drop());

async function stored(s: RecordScope) {
  const { rows } = await db.pool.query<{ external_id: string; payload: string; data_hash: string }>(
    'SELECT external_id, payload::text AS payload, data_hash FROM records WHERE connection_id = $1 AND model = $2 ORDER BY external_id',
    [s.connectionRowId, s.model],
  );
  return rows;
}

describe('record payloads encrypted at rest', () => {
  it('seal/open round-trips, each payload gets its own IV, tampering is detected', () => {
    const json = '{"id":"1","name":"Ünïcode ✓"}';
    const a = cipherA.seal(json);
    const b = cipherA.seal(json);
    expect(a).not.toBe(b);
    expect(a.startsWith(`"weft:r1:${cipherA.keyId}:`)).toBe(true);
    expect(cipherA.open(a)).toBe(json);
    expect(cipherA.open(json)).toBe(json); // plain payloads pass through
    const flipped = `${a.slice(0, -3)}${a.at(-3) === 'A' ? 'B' : 'A'}${a.slice(-2)}`;
    expect(() => cipherA.open(flipped)).toThrow(/fails authentication/);
  });

  it('the database holds neither the values nor a plain hash of them; reads are identical to unencrypted ones', async () => {
    const plainStore = createRecordStore({ pool: db.pool });
    const sealedStore = createRecordStore({ pool: db.pool, cipher: cipherA });
    const records = Array.from({ length: 250 }, (_, i) => ({ id: `r${i}`, name: `secret-name-${i}`, size: i }));
    const plain = scope();
    const sealed = scope();
    await plainStore.batchSave(plain, records);
    expect(await sealedStore.batchSave(sealed, records)).toMatchObject({ added: 250 });
    await sealedStore.batchSave(sealed, records.slice(0, 3));
    const rows = await stored(sealed);
    expect(rows).toHaveLength(250);
    for (const row of rows) {
      expect(row.payload).not.toContain('secret-name');
      expect(row.payload.startsWith('"weft:r1:')).toBe(true);
    }
    const plainHashes = new Set((await stored(plain)).map((r) => r.data_hash));
    expect(rows.some((r) => plainHashes.has(r.data_hash))).toBe(false);
    // Unchanged records are still recognised (keyed hash), changed ones rewritten.
    expect(await sealedStore.batchSave(sealed, records.slice(0, 10))).toMatchObject({ unchanged: 10, added: 0 });
    expect(await sealedStore.batchUpdate(sealed, [{ id: 'r1', name: 'renamed' }])).toMatchObject({ updated: 1 });
    const strip = (text: string) => JSON.parse(text.replace(/,\s*"_nango_metadata":\{[^}]*\}\}$/, '}'));
    const page = await readRecords(
      db.pool,
      { connectionRowId: conn.id, model: sealed.model, ids: ['r1', 'r2'] },
      { cipher: cipherA },
    );
    expect(page.records.map(strip)).toEqual([
      { id: 'r2', name: 'secret-name-2', size: 2 },
      { id: 'r1', name: 'renamed', size: 1 },
    ]);
    const body = await readRecordsBody(
      db.pool,
      { connectionRowId: conn.id, model: sealed.model, limit: 1000 },
      { cipher: cipherA },
    );
    const parsed = JSON.parse(body.body.toString()) as { records: Array<{ id: string; name: string }> };
    expect(parsed.records).toHaveLength(250);
    expect(parsed.records.find((r) => r.id === 'r200')).toMatchObject({ name: 'secret-name-200' });
    // A page that large is opened by worker threads: byte for byte what the string page says.
    const strings = await readRecords(
      db.pool,
      { connectionRowId: conn.id, model: sealed.model, limit: 1000 },
      { cipher: cipherA },
    );
    expect(parsed.records).toEqual(strings.records.map((text) => JSON.parse(text)));
    // Without the key, a read fails with a code that says what to configure.
    await expect(readRecords(db.pool, { connectionRowId: conn.id, model: sealed.model })).rejects.toMatchObject({
      code: 'WEFT_RECORDS_ENCRYPTION_KEY',
    });
  });

  it('a large sealed batch (through COPY) reads back exactly the records saved, in order', async () => {
    const sealedStore = createRecordStore({ pool: db.pool, cipher: cipherA });
    const s = scope();
    const records = Array.from({ length: 1300 }, (_, i) => ({
      id: `id\t${i}\\`,
      name: `line\nbreak "quoted" \\ back\\slash ${i} ünïcode \u2028 😀`,
      size: i,
    }));
    expect(await sealedStore.batchSave(s, records)).toMatchObject({ added: 1300 });
    const rows = await stored(s);
    expect(rows).toHaveLength(1300);
    for (const row of rows) expect(row.payload).not.toContain('back');
    // The stored keyed hash is cipher.hash of the canonical JSON: nothing looks changed on a resave.
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const row of rows) expect(row.data_hash).toBe(cipherA.hash(canonicalJson(byId.get(row.external_id))));
    expect(await sealedStore.batchSave(s, records)).toMatchObject({ added: 0, updated: 0, unchanged: 1300 });
    // Each payload has an IV of its own.
    expect(new Set(rows.map((r) => r.payload.slice(18, 34))).size).toBe(1300);
    const read: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await readRecords(
        db.pool,
        { connectionRowId: conn.id, model: s.model, limit: 400, ...(cursor === undefined ? {} : { cursor }) },
        { cipher: cipherA },
      );
      read.push(...page.records.map((text) => JSON.parse(text)));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    const strip = ({ _nango_metadata: _, ...record }: { _nango_metadata: unknown }) => record;
    expect(read.map((r) => strip(r as { _nango_metadata: unknown }))).toEqual(records);
  });

  it('a rejected record in the middle of a large sealed batch merges nothing', async () => {
    const sealedStore = createRecordStore({ pool: db.pool, cipher: cipherA });
    const s = scope();
    const schema = {
      type: 'object',
      properties: { id: { type: 'string' }, size: { type: 'integer', minimum: 0 } },
      required: ['id', 'size'],
    };
    const records = Array.from({ length: 1500 }, (_, i) => ({ id: `r${i}`, size: i === 777 ? -1 : i }));
    await expect(sealedStore.batchSave(s, records, { jsonSchema: schema })).rejects.toMatchObject({
      code: 'WEFT_RECORDS_VALIDATION_FAILED',
      details: { problems: [{ recordId: 'r777', path: '/size' }] },
    });
    expect(await stored(s)).toHaveLength(0);
    // The connection that staged the rejected batch takes the next one.
    const good = records.map((r) => ({ ...r, size: Math.abs(r.size) }));
    expect(await sealedStore.batchSave(s, good, { jsonSchema: schema })).toMatchObject({ added: 1500 });
  });

  it('rotation: a new key seals new writes, the previous key still opens old ones, an unknown key is refused', async () => {
    const s = scope();
    await createRecordStore({ pool: db.pool, cipher: cipherA }).batchSave(s, [{ id: 'old', v: 1 }]);
    const rotated = createRecordCipher({ current: keyB, previous: [keyA], hashKey });
    await createRecordStore({ pool: db.pool, cipher: rotated }).batchSave(s, [{ id: 'new', v: 2 }]);
    const rows = await stored(s);
    expect(rows.map((r) => r.payload.slice(9, 17))).toEqual([rotated.keyId, cipherA.keyId]);
    const page = await readRecords(db.pool, { connectionRowId: conn.id, model: s.model }, { cipher: rotated });
    expect(page.records).toHaveLength(2);
    const onlyB = createRecordCipher({ current: keyB, hashKey });
    // A page opened by worker threads refuses an unknown key the same way.
    await createRecordStore({ pool: db.pool, cipher: cipherA }).batchSave(
      s,
      Array.from({ length: 150 }, (_, i) => ({ id: `many-${i}`, v: i })),
    );
    await expect(
      readRecordsBody(db.pool, { connectionRowId: conn.id, model: s.model, limit: 1000 }, { cipher: onlyB }),
    ).rejects.toMatchObject({ code: 'WEFT_RECORDS_ENCRYPTION_KEY' });
    await expect(
      readRecords(db.pool, { connectionRowId: conn.id, model: s.model }, { cipher: onlyB }),
    ).rejects.toMatchObject({
      code: 'WEFT_RECORDS_ENCRYPTION_KEY',
    });
  });

  it('reseal: plain payloads (encryption just turned on) and old-key ones become sealed with the current key, invisibly to consumers', async () => {
    const s = scope();
    const records = Array.from({ length: 30 }, (_, i) => ({ id: `p${i}`, secret: `plain-${i}` }));
    await createRecordStore({ pool: db.pool }).batchSave(s, records);
    const seqBefore = await db.pool.query<{ seq: string }>(
      'SELECT seq FROM records WHERE connection_id = $1 AND model = $2 ORDER BY external_id',
      [s.connectionRowId, s.model],
    );
    // (Other tests of this file left payloads sealed with key B in the table: A's cipher must read them.)
    await resealRecords(db.pool, createRecordCipher({ current: keyA, previous: [keyB], hashKey }), { batchSize: 7 });
    for (const row of await stored(s)) expect(row.payload.startsWith(`"weft:r1:${cipherA.keyId}:`)).toBe(true);
    const seqAfter = await db.pool.query<{ seq: string }>(
      'SELECT seq FROM records WHERE connection_id = $1 AND model = $2 ORDER BY external_id',
      [s.connectionRowId, s.model],
    );
    expect(seqAfter.rows).toEqual(seqBefore.rows);
    // The keyed hash was written too: saving the same records again changes nothing.
    expect(await createRecordStore({ pool: db.pool, cipher: cipherA }).batchSave(s, records)).toMatchObject({
      added: 0,
      updated: 0,
      unchanged: 30,
    });
    const rotated = createRecordCipher({ current: keyB, previous: [keyA], hashKey });
    const result = await resealRecords(db.pool, rotated);
    expect(result.resealed).toBeGreaterThanOrEqual(30);
    const onlyB = createRecordCipher({ current: keyB, hashKey });
    const page = await readRecords(
      db.pool,
      { connectionRowId: conn.id, model: s.model, limit: 100 },
      { cipher: onlyB },
    );
    expect(page.records).toHaveLength(30);
    expect(page.records.join()).toContain('plain-29');
  });
});
