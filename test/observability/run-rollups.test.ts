import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@weft/core';
import { ensureEnvironment } from '@weft/db';
import { runStats, type StatsWindow } from '@weft/scheduler';
import { pruneOperationLog } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

// The dashboard's hourly run rollups (packages/scheduler/src/run-rollups.ts): the overview read
// through them must be exactly the overview read from every run, whatever state the hours are in
// (rolled up, still holding a running run, open, pruned by retention).

let db: TestDatabase;
let env: number;

const HOUR = 3_600_000;
const RANGES = { '24h': [24, 3600], '7d': [28, 21_600] } as const;

function windowOf(range: keyof typeof RANGES, integration: string | null): StatsWindow {
  const [buckets, bucketSeconds] = RANGES[range];
  const stride = bucketSeconds * 1000;
  const since = new Date(Math.floor(Date.now() / stride) * stride - stride * (buckets - 1));
  return { environmentId: env, integration, since, buckets, bucketSeconds };
}

const WINDOWS = [
  windowOf.bind(null, '24h', null),
  windowOf.bind(null, '24h', 'alpha'),
  windowOf.bind(null, '7d', null),
  windowOf.bind(null, '7d', 'beta'),
];

/** Every window read through the rollups equals the same window read raw. */
async function expectRollupsExact(): Promise<void> {
  for (const make of WINDOWS) {
    const window = make();
    const rolled = await runStats(db.pool, window);
    const raw = await runStats(db.pool, window, { rollups: false });
    expect(rolled).toEqual(raw);
  }
}

async function run(key: string, status: string, ago: string, seconds: number | null, counts: object): Promise<void> {
  await db.pool.query(
    `INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, status, created_at, started_at, ended_at, counts)
     SELECT gen_random_uuid(), s.id, s.environment_id, s.connection_id, 'items', $2, now() - $3::interval,
            CASE WHEN $4::float8 IS NOT NULL OR $2 = 'running' THEN now() - $3::interval END,
            CASE WHEN $4::float8 IS NOT NULL THEN now() - $3::interval + make_interval(secs => $4::float8) END, $5::jsonb
     FROM schedules s WHERE s.environment_id = $6 AND s.provider_config_key = $1`,
    [key, status, ago, seconds, JSON.stringify(counts), env],
  );
}

const markers = async () =>
  (
    await db.pool.query<{ hour: number; pruned: boolean }>(
      `SELECT (date_part('epoch', hour) * 1000)::float8 AS hour, pruned FROM sync_run_rollup_hours WHERE environment_id = $1 ORDER BY hour`,
      [env],
    )
  ).rows;

beforeAll(async () => {
  db = await createTestDatabase();
  ({
    environment: { id: env },
  } = await ensureEnvironment(db.pool, createSecretBox(randomBytes(32))));
  await db.pool.query(
    `INSERT INTO integrations (environment_id, unique_key, provider) VALUES ($1, 'alpha', 'github-pat'), ($1, 'beta', 'github-pat')`,
    [env],
  );
  await db.pool.query(
    `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key)
     SELECT $1, i.id, 'conn-' || i.unique_key, i.unique_key FROM integrations i WHERE i.environment_id = $1`,
    [env],
  );
  await db.pool.query(
    `INSERT INTO schedules (environment_id, connection_id, provider_config_key, sync_name, frequency_seconds, next_run_at)
     SELECT environment_id, id, provider_config_key, 'items', 3600, now() + interval '1 day' FROM connections WHERE environment_id = $1`,
    [env],
  );
  // Runs over the last 30 hours and a few days back: both integrations, every outcome, a spread
  // of durations (several 10 % classes) and record changes of two models.
  for (let h = 0; h < 30; h++) {
    await run('alpha', 'success', `${h} hours 7 minutes`, 0.3 + h / 4, { Item: { added: h, updated: 1, deleted: 0 } });
    await run('beta', h % 3 === 0 ? 'failed' : 'success', `${h} hours 41 minutes`, 2 + h, {
      Item: { added: 1, updated: 0, deleted: h % 2 },
      Note: { added: 2, updated: h, deleted: 0 },
    });
    if (h % 4 === 0) await run('alpha', 'interrupted', `${h} hours 20 minutes`, 60, {});
  }
  await run('beta', 'cancelled', '5 hours 10 minutes', null, {}); // cancelled while queued: never started
  await run('alpha', 'success', '3 days 2 hours', 4, { Item: { added: 9, updated: 9, deleted: 9 } });
  await run('beta', 'success', '6 days 1 hour', 12, {});
  await run('alpha', 'success', '3 minutes', 1, { Item: { added: 1, updated: 0, deleted: 0 } }); // the open hour
  // The late finisher: created 3½ hours ago, still running.
  await run('beta', 'running', '3 hours 30 minutes', null, {});
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

describe('hourly run rollups', () => {
  it('give exactly the raw overview, and leave an hour with a running run to the raw rows', async () => {
    await expectRollupsExact();
    const hours = await markers();
    // Every closed hour of the 7-day window (the 24-hour one is inside it), minus the one still
    // holding a running run: 7 d = 28 six-hour buckets ending with the current one.
    expect(hours.length).toBeGreaterThan(24 * 6);
    const running = await db.pool.query<{ hour: number }>(
      `SELECT (floor(date_part('epoch', created_at) / 3600) * 3600000)::float8 AS hour FROM sync_runs WHERE status = 'running' AND environment_id = $1`,
      [env],
    );
    const runningHour = running.rows[0]!.hour;
    expect(hours.map((h) => h.hour)).not.toContain(runningHour);
    // The rollups hold the counts (the rolled-up path is the one being compared).
    const rolled = await db.pool.query<{ runs: number }>(
      'SELECT coalesce(sum(runs), 0)::int AS runs FROM sync_run_hourly WHERE environment_id = $1',
      [env],
    );
    expect(rolled.rows[0]!.runs).toBeGreaterThan(60);
  });

  it('counts a late finisher with its final outcome once it ends, then rolls its hour up', async () => {
    const before = await runStats(db.pool, windowOf('24h', null));
    await db.pool.query(
      `UPDATE sync_runs SET status = 'success', ended_at = now(), counts = '{"Item":{"added":100,"updated":0,"deleted":0}}'
       WHERE status = 'running' AND environment_id = $1`,
      [env],
    );
    const after = await runStats(db.pool, windowOf('24h', null));
    expect(after.total.success).toBe(before.total.success + 1);
    expect(after.total.active).toBe(before.total.active - 1);
    const item = (s: typeof after) => s.records.find((r) => r.model === 'Item')?.added ?? 0;
    expect(item(after)).toBe(item(before) + 100);
    await expectRollupsExact();
    // Its hour is rolled up now, and reading through the rollups still counts it once.
    const hours = await markers();
    const finished = await db.pool.query<{ hour: number }>(
      `SELECT (floor(date_part('epoch', created_at) / 3600) * 3600000)::float8 AS hour FROM sync_runs
       WHERE environment_id = $1 AND counts @> '{"Item":{"added":100}}'`,
      [env],
    );
    expect(hours.map((h) => h.hour)).toContain(finished.rows[0]!.hour);
    expect(await runStats(db.pool, windowOf('24h', null))).toEqual(after);
  });

  it('never rolls an hour up twice under concurrent callers', async () => {
    await db.pool.query('DELETE FROM sync_run_rollup_hours WHERE environment_id = $1', [env]);
    const window = windowOf('7d', null);
    const raw = await runStats(db.pool, window, { rollups: false });
    const answers = await Promise.all(Array.from({ length: 4 }, () => runStats(db.pool, window)));
    for (const answer of answers) expect(answer).toEqual(raw);
    expect(await runStats(db.pool, window)).toEqual(raw);
    // The rollups hold each rolled-up hour's runs exactly once.
    const check = await db.pool.query<{ rolled: number; actual: number }>(
      `SELECT (SELECT coalesce(sum(runs), 0)::int FROM sync_run_hourly WHERE environment_id = $1) AS rolled,
              (SELECT count(*)::int FROM sync_runs r JOIN sync_run_rollup_hours m
                 ON m.environment_id = r.environment_id AND r.created_at >= m.hour AND r.created_at < m.hour + interval '1 hour'
               WHERE r.environment_id = $1) AS actual`,
      [env],
    );
    expect(check.rows[0]!.rolled).toBe(check.rows[0]!.actual);
    expect(check.rows[0]!.rolled).toBeGreaterThan(60);
  });

  it('follows log retention: pruned hours are read from the runs that are left', async () => {
    const pruned = await pruneOperationLog(db.pool, 1);
    expect(pruned.syncRuns).toBeGreaterThan(0);
    const hours = await markers();
    const cutoff = Date.now() - 86_400_000;
    expect(hours.filter((h) => h.hour + HOUR <= cutoff).every((h) => h.pruned)).toBe(true);
    expect(hours.some((h) => !h.pruned)).toBe(true);
    await expectRollupsExact();
  });
});
