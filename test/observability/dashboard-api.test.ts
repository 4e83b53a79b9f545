import type { ContractViolation } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';

// The dashboard's own API (/dashboard/api/*): overview aggregates on seeded rows, the operation
// log's search and keyset paging, and the connection summary — without a browser.

let h: ApiHarness;
let c1: number;
let c2: number;
/** Answers their route contract (GET /openapi.json) does not describe (checked last). */
const violations: ContractViolation[] = [];

async function seed(sql: string, values: unknown[] = []) {
  await h.db.pool.query(sql, values);
}

beforeAll(async () => {
  h = await startApi({ onContractViolation: (violation) => violations.push(violation) });
  for (const key of ['alpha', 'beta']) {
    await h.api('/integrations', { method: 'POST', json: { unique_key: key, provider: 'github-pat' } });
  }
  for (const [id, key] of [
    ['a1', 'alpha'],
    ['a2', 'alpha'],
    ['b1', 'beta'],
  ] as const) {
    await h.api('/connection', {
      method: 'POST',
      json: { connection_id: id, provider_config_key: key, credentials: { type: 'API_KEY', apiKey: 'secret-key-x' } },
    });
  }
  await seed(`UPDATE connections SET auth_state = 'needs_reauth' WHERE connection_id = 'a2'`);
  await seed(`UPDATE connections SET last_refresh_error = 'invalid_grant' WHERE connection_id = 'b1'`);
  const ids = await h.db.pool.query<{ id: number; connection_id: string }>('SELECT id, connection_id FROM connections');
  c1 = ids.rows.find((r) => r.connection_id === 'a1')!.id;
  c2 = ids.rows.find((r) => r.connection_id === 'b1')!.id;
  await seed(
    `INSERT INTO schedules (environment_id, connection_id, provider_config_key, sync_name, frequency_seconds, next_run_at)
     VALUES ($1, $2, 'alpha', 'items', 3600, now() + interval '1 day'), ($1, $3, 'beta', 'items', 3600, now() + interval '1 day')`,
    [h.environmentId, c1, c2],
  );
  // alpha: 4 successes of 1 s and 2 failures of 3 s, 2 h ago; beta: 1 success of 10 s, 30 min ago;
  // and one alpha success 3 days ago (only inside the 7-day range).
  const run = (conn: number, status: string, ago: string, seconds: number, counts: object) =>
    seed(
      `INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, status, created_at, started_at, ended_at, counts, error)
       SELECT gen_random_uuid(), s.id, s.environment_id, s.connection_id, 'items', $2, now() - $3::interval, now() - $3::interval,
              now() - $3::interval + make_interval(secs => $4), $5::jsonb,
              CASE WHEN $2 = 'failed' THEN '{"message":"upstream refused","stack":"Error: upstream refused\\n    at fetchPage (syncs/items.ts:14:9)"}'::jsonb END
       FROM schedules s WHERE s.connection_id = $1`,
      [conn, status, ago, seconds, JSON.stringify(counts)],
    );
  for (let i = 0; i < 4; i++) await run(c1, 'success', '2 hours', 1, { Item: { added: 2, updated: 1, deleted: 0 } });
  for (let i = 0; i < 2; i++) await run(c1, 'failed', '2 hours', 3, {});
  await run(c2, 'success', '30 minutes', 10, { Item: { added: 5, updated: 0, deleted: 1 } });
  await run(c1, 'success', '3 days', 1, {});
  // Proxy calls: 70 for alpha (2 × 429, 1 × 500, 1 transport error), 45 minutes ago.
  await seed(
    `INSERT INTO proxy_requests (environment_id, connection_id, provider_config_key, method, url, status, duration_ms, attempts, error_code, created_at)
     SELECT $1, $2, 'alpha', 'GET', 'https://api.example.test/items?page=' || n,
            CASE WHEN n <= 2 THEN 429 WHEN n = 3 THEN 500 WHEN n = 4 THEN NULL ELSE 200 END, 20, 1,
            CASE WHEN n = 4 THEN 'WEFT_PROXY_TIMEOUT' END, now() - interval '45 minutes' + make_interval(secs => n)
     FROM generate_series(1, 70) n`,
    [h.environmentId, c1],
  );
  await seed(
    `INSERT INTO records (connection_id, model, external_id, environment_id, payload, data_hash, seq, first_seen_at, updated_at, last_action, deleted_at)
     SELECT $1, 'Item', 'item-' || n, $2, json_build_object('id', 'item-' || n), md5(n::text), nextval('records_seq'), now(), now(),
            CASE WHEN n = 3 THEN 'DELETED' ELSE 'ADDED' END, CASE WHEN n = 3 THEN now() END
     FROM generate_series(1, 3) n`,
    [c1, h.environmentId],
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('GET /dashboard/api/overview', () => {
  it('draws exactly the range’s buckets, aligned to the bucket size', async () => {
    for (const [range, buckets, seconds] of [
      ['1h', 12, 300],
      ['24h', 24, 3600],
      ['7d', 28, 21600],
    ] as const) {
      const body = await h.get(`/dashboard/api/overview?range=${range}`);
      expect(body.buckets).toHaveLength(buckets);
      expect(body.runs.buckets).toHaveLength(buckets);
      expect(body.proxy.buckets).toHaveLength(buckets);
      expect(body.webhooks.buckets).toHaveLength(buckets);
      expect(body.bucket_seconds).toBe(seconds);
      expect(body.buckets[0] % seconds).toBe(0);
      expect(body.buckets[1] - body.buckets[0]).toBe(seconds);
    }
  });

  it('counts runs by outcome with duration percentiles, records per model, proxy errors and 429s, connections by state', async () => {
    const day = await h.get('/dashboard/api/overview?range=24h');
    expect(day.runs.total).toMatchObject({ success: 5, failed: 2, cancelled: 0, active: 0 });
    const sum = (field: string) => day.runs.buckets.reduce((n: number, b: Record<string, number>) => n + b[field]!, 0);
    expect([sum('success'), sum('failed')]).toEqual([5, 2]);
    // 4 × 1 s, 2 × 3 s, 1 × 10 s → median 1 s, p95 10 s (percentiles are within ±5 %).
    expect(Math.abs(day.runs.total.p50Ms - 1000)).toBeLessThanOrEqual(50);
    expect(Math.abs(day.runs.total.p95Ms - 10_000)).toBeLessThanOrEqual(500);
    const failedBucket = day.runs.buckets.find((b: { failed: number }) => b.failed === 2);
    expect(Math.abs(failedBucket.p50Ms - 1000)).toBeLessThanOrEqual(50);
    expect(Math.abs(failedBucket.p95Ms - 3000)).toBeLessThanOrEqual(150);
    expect(day.records).toEqual([{ model: 'Item', added: 13, updated: 4, deleted: 1 }]);
    expect(day.proxy.total).toEqual({ calls: 70, errors: 4, throttled: 2 });
    expect(day.connections).toEqual({ total: 3, ok: 1, refreshFailing: 1, needsReauth: 1 });

    const week = await h.get('/dashboard/api/overview?range=7d');
    expect(week.runs.total.success).toBe(6);
    const hour = await h.get('/dashboard/api/overview?range=1h');
    expect(hour.runs.total).toMatchObject({ success: 1, failed: 0 });
    expect(hour.proxy.total.calls).toBe(70);
  });

  it('narrows to one integration', async () => {
    const beta = await h.get('/dashboard/api/overview?range=24h&integration=beta');
    expect(beta.runs.total).toMatchObject({ success: 1, failed: 0 });
    expect(beta.records).toEqual([{ model: 'Item', added: 5, updated: 0, deleted: 1 }]);
    expect(beta.proxy.total.calls).toBe(0);
    expect(beta.connections).toEqual({ total: 1, ok: 0, refreshFailing: 1, needsReauth: 0 });
  });

  it('answers a bad range with WEFT_API_INVALID_REQUEST, and needs the secret key', async () => {
    const bad = await h.api('/dashboard/api/overview?range=2y');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEFT_API_INVALID_REQUEST');
    const anonymous = await fetch(`${h.url}/dashboard/api/overview`);
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /dashboard/api/logs', () => {
  it('pages with a keyset cursor: no row twice, none skipped', async () => {
    const seen: string[] = [];
    let query = 'type=proxy&limit=30';
    for (;;) {
      const page = await h.get(`/dashboard/api/logs?${query}`);
      seen.push(...page.operations.map((o: { id: string }) => o.id));
      if (!page.has_more) break;
      const last = page.operations.at(-1);
      query = `type=proxy&limit=30&before_at=${encodeURIComponent(last.at)}&before_id=${last.id}`;
    }
    expect(seen).toHaveLength(70);
    expect(new Set(seen).size).toBe(70);
  });

  it('searches names, messages and log lines', async () => {
    const failed = await h.get('/dashboard/api/logs?q=UPSTREAM%20refused');
    expect(failed.operations).toHaveLength(2);
    expect(failed.operations.every((o: { state: string }) => o.state === 'failed')).toBe(true);
    const page = await h.get('/dashboard/api/logs?q=page%3D7');
    expect(page.operations.map((o: { name: string }) => o.name)).toEqual(
      expect.arrayContaining(['GET https://api.example.test/items?page=7']),
    );
    expect(page.operations.every((o: { name: string }) => o.name.includes('page=7'))).toBe(true);
    const combined = await h.get('/dashboard/api/logs?q=items&type=sync&integration=beta');
    expect(combined.operations).toHaveLength(1);
  });

  it('rejects half a cursor', async () => {
    const response = await h.api('/dashboard/api/logs?before_id=5');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('WEFT_API_INVALID_REQUEST');
  });
});

describe('GET /dashboard/api/connection', () => {
  it('shows state and records per model, never credentials', async () => {
    const response = await h.api('/dashboard/api/connection?provider_config_key=alpha&connection_id=a1');
    const text = await response.text();
    expect(text).not.toContain('secret-key-x');
    const body = JSON.parse(text);
    expect(body).toMatchObject({ connection_id: 'a1', auth_state: 'ok' });
    expect(body.records).toEqual([{ model: 'Item', live: 2, deleted: 1, last_modified_at: expect.any(String) }]);
  });

  it('answers an unknown connection with the auth package’s not-found code', async () => {
    const response = await h.api('/dashboard/api/connection?provider_config_key=alpha&connection_id=nope');
    expect(response.status).toBe(404);
  });
});

describe('the API contract', () => {
  it('every answer above matched its route contract', () => {
    expect(violations).toEqual([]);
  });
});
