import { connectionRowId, createPool, type Pool } from '@weft/db';
import { type ProxyLogEntry, ProxyRequestLog } from '@weft/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

// The request log is written off the request path (COPY in batches from off-heap buffers):
// these pin that it stays complete, ordered and bounded.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

const entry = (environmentId: number, url: string, extra: Partial<ProxyLogEntry> = {}): ProxyLogEntry => ({
  environmentId,
  connectionRowId: null,
  providerConfigKey: 'pat',
  runId: null,
  method: 'GET',
  url,
  status: 200,
  durationMs: 1,
  attempts: 1,
  errorCode: null,
  ...extra,
});

async function urlsOf(pool: Pool, environmentId: number): Promise<string[]> {
  const { rows } = await pool.query<{ url: string }>(
    'SELECT url FROM proxy_requests WHERE environment_id = $1 ORDER BY id',
    [environmentId],
  );
  return rows.map((r) => r.url);
}

describe('proxy request log', () => {
  it('writes every entry, in order, across batches and buffers (long, multi-byte and escaped values)', async () => {
    const log = new ProxyRequestLog(db.pool, { maxBatch: 5_000, intervalMs: 60_000 });
    const urls = Array.from({ length: 12_000 }, (_, i) => `https://api.example.com/items/${i}?name=dokument-ü-€`);
    urls[7] = `https://api.example.com/${'x'.repeat(100_000)}`; // longer than one buffer
    urls[8] = 'https://api.example.com/tab\there\nnewline\\backslash';
    for (const url of urls) expect(log.add(entry(901, url))).toBeUndefined();
    await log.flush();
    expect(await urlsOf(db.pool, 901)).toEqual(urls);
    const { rows } = await db.pool.query(
      'SELECT run_id, status, error_code, attempts FROM proxy_requests WHERE environment_id = 901 ORDER BY id LIMIT 1',
    );
    expect(rows[0]).toEqual({ run_id: null, status: 200, error_code: null, attempts: 1 });
  });

  it('keeps nulls and failed calls as such', async () => {
    const log = new ProxyRequestLog(db.pool);
    log.add(
      entry(902, 'https://api.example.com/down', {
        status: null,
        errorCode: 'WEFT_PROXY_RETRIES_EXHAUSTED',
        attempts: 4,
        runId: 'run-1',
        connectionRowId: connectionRowId(12),
      }),
    );
    await log.flush();
    const { rows } = await db.pool.query(
      'SELECT connection_id, run_id, status, error_code, attempts FROM proxy_requests WHERE environment_id = 902',
    );
    expect(rows).toEqual([
      { connection_id: 12, run_id: 'run-1', status: null, error_code: 'WEFT_PROXY_RETRIES_EXHAUSTED', attempts: 4 },
    ]);
  });

  it('over its bound, add hands the caller the writes in progress to wait for instead of growing', async () => {
    // One connection, held by the test: the log's first write cannot start until it is released.
    const pool = createPool(db.url, { max: 1 });
    const held = await pool.connect();
    let released = false;
    try {
      const log = new ProxyRequestLog(pool, { maxBatch: 5, maxPending: 8, intervalMs: 60_000 });
      const waits: Array<Promise<void> | undefined> = [];
      for (let i = 0; i < 9; i++) waits.push(log.add(entry(903, `https://api.example.com/${i}`)));
      // Entries 0-4 went to a write (blocked on the connection); 5-8 are buffered: 9 > 8.
      expect(waits.slice(0, 8).every((w) => w === undefined)).toBe(true);
      const backlog = waits[8];
      expect(backlog).toBeInstanceOf(Promise);
      let settled = false;
      void backlog?.then(() => {
        settled = true;
      });
      expect(await urlsOf(db.pool, 903)).toEqual([]); // a round trip elsewhere: still nothing written
      expect(settled).toBe(false);
      held.release();
      released = true;
      await backlog;
      expect(await urlsOf(db.pool, 903)).toEqual([0, 1, 2, 3, 4].map((i) => `https://api.example.com/${i}`));
      await log.flush();
      expect(await urlsOf(db.pool, 903)).toHaveLength(9);
    } finally {
      if (!released) held.release();
      await pool.end();
    }
  });
});
