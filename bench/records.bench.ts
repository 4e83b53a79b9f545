import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSecretBox } from '@weft/core';
import { connectionRowId, ensureEnvironment, type Pool } from '@weft/db';
import {
  createRecordCipher,
  createRecordStore,
  deriveRecordsKey,
  type RecordScope,
  registerModels,
} from '@weft/records';
import { from as copyFrom } from 'pg-copy-streams';
import { request } from 'undici';
import { z } from 'zod';
import { startBenchDatabase } from './bench-database.js';
import { defineBench, median } from './harness.js';

const COUNT = 100_000;
const CHUNK = 1_000; // a typical nango.batchSave page
const ROUNDS = 3;

const File = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  mimeType: z.string(),
  createdAt: z.iso.datetime(),
  modifiedAt: z.iso.datetime(),
  owner: z.object({ id: z.string(), email: z.email() }),
  tags: z.array(z.string()),
  description: z.string(),
});
type FileRecord = z.infer<typeof File>;

function makeRecords(version: number, changedEvery = 1): FileRecord[] {
  const filler = 'lorem ipsum dolor sit amet '.repeat(26); // ~700 chars → ~1 KB records
  return Array.from({ length: COUNT }, (_, i) => ({
    id: `file-${i}`,
    name: `document-${i}.docx`,
    path: `/drive/root:/projects/p${i % 97}/folder-${i % 13}`,
    size: 1024 + i + (i % changedEvery === 0 ? version : 0),
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    createdAt: '2026-01-01T10:00:00.000Z',
    modifiedAt: '2026-02-01T10:00:00.000Z',
    owner: { id: `user-${i % 50}`, email: `user${i % 50}@example.com` },
    tags: ['work', `t${i % 7}`],
    description: filler,
  }));
}

const RAW_TABLE = `
CREATE TABLE IF NOT EXISTS bench_raw (
  connection_id bigint NOT NULL, model text NOT NULL, external_id text NOT NULL,
  payload jsonb NOT NULL, data_hash text NOT NULL, updated_at timestamptz NOT NULL,
  PRIMARY KEY (connection_id, model, external_id));
CREATE UNIQUE INDEX IF NOT EXISTS bench_raw_cursor ON bench_raw (connection_id, model, updated_at, external_id)`;

/** The ceiling: COPY into a temp table + INSERT … ON CONFLICT, hashes precomputed (notes/limits.md §1 method c). */
async function rawCopyMerge(pool: Pool, records: FileRecord[], hashes: string[]): Promise<void> {
  for (let start = 0; start < records.length; start += CHUNK) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('CREATE TEMP TABLE raw_in (external_id text, payload jsonb, data_hash text) ON COMMIT DROP');
      const stream = client.query(copyFrom('COPY raw_in FROM STDIN'));
      const done = new Promise((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
      });
      let text = '';
      for (let i = start; i < Math.min(start + CHUNK, records.length); i++) {
        const record = records[i] as FileRecord;
        text += `${record.id}\t${JSON.stringify(record).replace(/\\/g, '\\\\')}\t${hashes[i]}\n`;
      }
      stream.end(text);
      await done;
      await client.query(`INSERT INTO bench_raw SELECT 1, 'File', external_id, payload, data_hash, now() FROM raw_in
        ON CONFLICT (connection_id, model, external_id) DO UPDATE
        SET payload = EXCLUDED.payload, data_hash = EXCLUDED.data_hash, updated_at = EXCLUDED.updated_at
        WHERE bench_raw.data_hash <> EXCLUDED.data_hash`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export default defineBench({
  name: 'records',
  description: `records store: ${COUNT / 1000}k × ~1 KB records in batches of ${CHUNK}, validated, vs raw COPY+merge; records API paging vs SQL keyset`,
  async run(report) {
    const db = await startBenchDatabase();
    try {
      const box = createSecretBox(randomBytes(32));
      const { environment, createdSecretKey } = await ensureEnvironment(db.pool, box);
      const { rows: integ } = await db.pool.query<{ id: number }>(
        `INSERT INTO integrations (environment_id, unique_key, provider) VALUES ($1, 'drive', 'one-drive') RETURNING id`,
        [environment.id],
      );
      const integrationId = integ[0]?.id ?? 0;
      const { rows: conn } = await db.pool.query<{ id: number }>(
        `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key)
         VALUES ($1, $2, 'bench', 'drive') RETURNING id`,
        [environment.id, integrationId],
      );
      const connectionId = connectionRowId(conn[0]?.id ?? 0);
      const jsonSchema = z.toJSONSchema(File);
      await registerModels(db.pool, integrationId, { File: jsonSchema });
      await db.pool.query(RAW_TABLE);
      const store = createRecordStore({ pool: db.pool });
      const scope: RecordScope = { environmentId: environment.id, connectionRowId: connectionId, model: 'File' };
      // WEFT_RECORDS_ENCRYPTION=on: the same records sealed, on a connection of their own.
      const masterKey = randomBytes(32);
      const cipher = createRecordCipher({
        current: deriveRecordsKey(masterKey, 'records-encryption'),
        hashKey: deriveRecordsKey(masterKey, 'records-hash'),
      });
      const sealedStore = createRecordStore({ pool: db.pool, cipher });
      const { rows: sealedConn } = await db.pool.query<{ id: number }>(
        `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key)
         VALUES ($1, $2, 'sealed', 'drive') RETURNING id`,
        [environment.id, integrationId],
      );
      const sealedScope: RecordScope = {
        environmentId: environment.id,
        connectionRowId: connectionRowId(sealedConn[0]?.id ?? 0),
        model: 'File',
      };

      const v1 = makeRecords(0);
      const v2 = makeRecords(1, 10); // every 10th record changes
      const hash = (r: FileRecord) => createHash('sha256').update(JSON.stringify(r)).digest('base64');
      const h1 = v1.map(hash);
      const h2 = v2.map(hash);
      const saveAll = (records: FileRecord[], validation: 'reject' | 'off') => async () => {
        for (let start = 0; start < records.length; start += CHUNK) {
          await store.batchSave(scope, records.slice(start, start + CHUNK), { jsonSchema, validation });
        }
      };
      const reset = async () => {
        await db.pool.query('TRUNCATE bench_raw');
        await db.pool.query('DELETE FROM records WHERE connection_id = $1', [connectionId]);
        await db.pool.query('VACUUM ANALYZE bench_raw');
        await db.pool.query('VACUUM ANALYZE records');
        await db.pool.query('CHECKPOINT');
      };

      const raw = { fresh: [] as number[], changed: [] as number[] };
      const ours = { fresh: [] as number[], changed: [] as number[], freshNoValidation: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        await reset();
        raw.fresh.push(await timed(() => rawCopyMerge(db.pool, v1, h1)));
        ours.fresh.push(await timed(saveAll(v1, 'reject')));
        await db.pool.query('VACUUM ANALYZE bench_raw');
        await db.pool.query('VACUUM ANALYZE records');
        await db.pool.query('CHECKPOINT');
        raw.changed.push(await timed(() => rawCopyMerge(db.pool, v2, h2)));
        ours.changed.push(await timed(saveAll(v2, 'reject')));
        // Validation cost: same fresh load without validation.
        await db.pool.query('DELETE FROM records WHERE connection_id = $1', [connectionId]);
        await db.pool.query('VACUUM ANALYZE records');
        await db.pool.query('CHECKPOINT');
        ours.freshNoValidation.push(await timed(saveAll(v1, 'off')));
        await db.pool.query('DELETE FROM records WHERE connection_id = $1', [connectionId]);
        await db.pool.query('VACUUM ANALYZE records');
        await db.pool.query('CHECKPOINT');
        ours.fresh.push(await timed(saveAll(v1, 'reject')));
        await saveAll(v2, 'reject')();
      }
      // Encryption cost, same run: fresh validated upserts, plain and sealed, alternating.
      const saveSealed = (records: FileRecord[]) => async () => {
        for (let start = 0; start < records.length; start += CHUNK) {
          await sealedStore.batchSave(sealedScope, records.slice(start, start + CHUNK), {
            jsonSchema,
            validation: 'reject',
          });
        }
      };
      const encryption = { plain: [] as number[], sealed: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        await db.pool.query('DELETE FROM records');
        await db.pool.query('VACUUM ANALYZE records');
        await db.pool.query('CHECKPOINT');
        encryption.plain.push(await timed(saveAll(v1, 'reject')));
        await db.pool.query('CHECKPOINT');
        encryption.sealed.push(await timed(saveSealed(v1)));
      }
      // A call's fixed cost (round trips, lock, staging): the same fresh records saved 100 per call
      // (Nango scripts' typical page) and 1000 per call, alternating.
      const SMALL_COUNT = 20_000;
      const saveIn = (size: number) => async () => {
        for (let start = 0; start < SMALL_COUNT; start += size) {
          await store.batchSave(scope, v1.slice(start, start + size), { jsonSchema, validation: 'reject' });
        }
      };
      const perCall = { large: [] as number[], small: [] as number[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const [size, into] of [
          [1000, perCall.large],
          [100, perCall.small],
        ] as const) {
          await db.pool.query('DELETE FROM records WHERE connection_id = $1', [connectionId]);
          await db.pool.query('VACUUM ANALYZE records');
          await db.pool.query('CHECKPOINT');
          into.push(await timed(saveIn(size)));
        }
      }
      await saveAll(v1, 'reject')(); // the reads below expect all of v1
      const rate = (seconds: number[]) => COUNT / median(seconds);
      report({
        metric: 'upsert_new',
        value: rate(ours.fresh),
        baseline: rate(raw.fresh),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.85,
        baselineLabel: 'raw COPY+merge',
      });
      report({
        metric: 'upsert_10pct_changed',
        value: rate(ours.changed),
        baseline: rate(raw.changed),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.85,
        baselineLabel: 'raw COPY+merge',
      });
      report({
        metric: 'upsert_new_encrypted',
        value: rate(encryption.sealed),
        baseline: rate(encryption.plain),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.75,
        baselineLabel: 'same store, encryption off',
      });
      report({
        metric: 'upsert_new_100_per_call',
        value: SMALL_COUNT / median(perCall.small),
        baseline: SMALL_COUNT / median(perCall.large),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.7,
        baselineLabel: 'same store, 1000 per call',
      });
      report({
        metric: 'validation_cost',
        value: rate(ours.fresh),
        baseline: rate(ours.freshNoValidation),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.85,
        baselineLabel: 'same store, validation off',
      });

      // Reads: 100k records in pages of 1000, through the HTTP API (server in its own process, as
      // deployed) vs SQL keyset on the raw table from this process.
      const server = spawn(
        process.execPath,
        [
          ...(process.env.WEFT_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/weft-prof'] : []),
          '--import',
          'tsx',
          fileURLToPath(new URL('./api-server-process.ts', import.meta.url)),
          db.url,
          masterKey.toString('hex'),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /URL (\S+)\n/.exec(out);
          if (match?.[1]) resolve(match[1]);
        });
        server.on('exit', (code) => reject(new Error(`API server exited with ${code}`)));
      });
      const headers = {
        authorization: `Bearer ${createdSecretKey}`,
        'connection-id': 'bench',
        'provider-config-key': 'drive',
      };
      const readApi = async (connection = 'bench') => {
        let cursor: string | null = null;
        let n = 0;
        do {
          const qs: string = `model=File&limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
          const response = await request(`${url}/records?${qs}`, {
            headers: { ...headers, 'connection-id': connection },
          });
          const body = (await response.body.json()) as { records: unknown[]; next_cursor: string | null };
          n += body.records.length;
          cursor = body.next_cursor;
        } while (cursor !== null);
        if (n !== COUNT) throw new Error(`API returned ${n} records, expected ${COUNT}`);
      };
      const readSql = async () => {
        let after: [string, string] = ['-infinity', ''];
        let n = 0;
        for (;;) {
          const { rows } = await db.pool.query<{ external_id: string; payload: object; updated_at: string }>(
            `SELECT external_id, payload, updated_at FROM bench_raw WHERE connection_id = 1 AND model = 'File'
             AND (updated_at, external_id) > ($1::timestamptz, $2) ORDER BY updated_at, external_id LIMIT 1000`,
            after,
          );
          n += rows.length;
          const last = rows[rows.length - 1];
          if (last === undefined) break;
          after = [last.updated_at, last.external_id];
        }
        if (n !== COUNT) throw new Error(`SQL returned ${n} rows, expected ${COUNT}`);
      };
      await readApi();
      await readSql();
      await readApi('sealed');
      const api: number[] = [];
      const sqlRead: number[] = [];
      const sealedApi: number[] = [];
      for (let round = 0; round < 5; round++) {
        sqlRead.push(await timed(readSql));
        api.push(await timed(() => readApi()));
        sealedApi.push(await timed(() => readApi('sealed')));
      }
      server.stdin.end();
      await once(server, 'exit');
      report({
        metric: 'read_api_pages_of_1000',
        value: rate(api),
        baseline: rate(sqlRead),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.85,
        baselineLabel: 'SQL keyset, pg parsing jsonb',
      });
      report({
        metric: 'read_api_encrypted',
        value: rate(sealedApi),
        baseline: rate(api),
        unit: 'rows/s',
        higherIsBetter: true,
        target: 0.75,
        baselineLabel: 'same API, payloads not encrypted',
      });
    } finally {
      await db.stop();
    }
  },
});
