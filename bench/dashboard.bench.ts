import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connectionStats } from '@weft/auth';
import { createSecretBox } from '@weft/core';
import { ensureEnvironment, type Pool } from '@weft/db';
import { proxyStats } from '@weft/proxy';
import { webhookStats } from '@weft/records';
import { runStats } from '@weft/scheduler';
import { startBenchDatabase } from './bench-database.js';
import { defineBench, median } from './harness.js';

const RUNS = Number(process.env.WEFT_BENCH_DASHBOARD_RUNS ?? 1_000_000);
const CONNECTIONS = Number(process.env.WEFT_BENCH_DASHBOARD_CONNECTIONS ?? 10_000);
const INTEGRATIONS = 10;
/** The runs are spread over the default log retention (WEFT_LOGS_RETENTION_DAYS = 30). */
const SPREAD_DAYS = 30;
const PROXY_CALLS = Math.round(RUNS / 2);
const DELIVERIES = Math.round(RUNS / 10);
const SAMPLES = 15;

/** The dashboard's ranges, as the route computes them (packages/server/src/routes/dashboard-api.ts). */
const RANGES = { '1h': [12, 300], '24h': [24, 3600], '7d': [28, 21_600] } as const;

function windowOf(environmentId: number, range: keyof typeof RANGES, integration: string | null) {
  const [buckets, bucketSeconds] = RANGES[range];
  const stride = bucketSeconds * 1000;
  const since = new Date(Math.floor(Date.now() / stride) * stride - stride * (buckets - 1));
  return { environmentId, integration, since, buckets, bucketSeconds };
}

/** Everything GET /dashboard/api/overview asks the database, in parallel as the route does. */
async function overview(pool: Pool, window: ReturnType<typeof windowOf>): Promise<void> {
  await Promise.all([
    runStats(pool, window),
    proxyStats(pool, window),
    webhookStats(pool, window),
    connectionStats(pool, window.environmentId, window.integration),
  ]);
}

async function time(samples: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await fn();
    out.push(performance.now() - started);
  }
  return out;
}

/**
 * The bench's database: INTEGRATIONS integrations, CONNECTIONS connections with a schedule each,
 * RUNS runs spread over SPREAD_DAYS (90 % success, 7 % failed, 3 % cancelled), half as many proxy
 * calls (1 % 429, 1 % 500) and a tenth as many webhook deliveries. Returns the environment id.
 */
export async function seedOverviewData(pool: Pool): Promise<number> {
  const { environment } = await ensureEnvironment(pool, createSecretBox(randomBytes(32)));
  const env = environment.id;
  const seedStarted = performance.now();
  // Straight SQL seeding: the bench measures reading, not how the rows got there.
  await pool.query(
    `INSERT INTO integrations (environment_id, unique_key, provider)
     SELECT $1, 'integration-' || i, 'github-pat' FROM generate_series(1, $2) i`,
    [env, INTEGRATIONS],
  );
  await pool.query(
    `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key, auth_state, last_refresh_error)
     SELECT $1, i.id, 'conn-' || n, i.unique_key,
            CASE WHEN n % 50 = 0 THEN 'needs_reauth' ELSE 'ok' END, CASE WHEN n % 70 = 0 THEN 'invalid_grant' END
     FROM generate_series(1, $2) n
     JOIN integrations i ON i.environment_id = $1 AND i.unique_key = 'integration-' || (n % $3 + 1)`,
    [env, CONNECTIONS, INTEGRATIONS],
  );
  await pool.query(
    `INSERT INTO schedules (environment_id, connection_id, provider_config_key, sync_name, frequency_seconds, next_run_at)
     SELECT environment_id, id, provider_config_key, 'items', 3600, now() + interval '1 hour' FROM connections`,
  );
  const schedules = (await pool.query<{ id: string; connection_id: string }>('SELECT id, connection_id FROM schedules'))
    .rows;
  const first = Number(schedules[0]?.id ?? 1);
  const firstConnection = Number(schedules[0]?.connection_id ?? 1);
  // In slices so one statement never holds a million rows in memory.
  for (let start = 0; start < RUNS; start += 100_000) {
    await pool.query(
      `INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, status, created_at, started_at, ended_at, counts)
       SELECT gen_random_uuid(), $2 + n % $3, $1, $7 + n % $3, 'items',
              CASE WHEN n % 100 < 90 THEN 'success' WHEN n % 100 < 97 THEN 'failed' ELSE 'cancelled' END,
              t, t, t + make_interval(secs => 0.2 + (n % 37) / 3.0),
              CASE WHEN n % 100 < 90 THEN jsonb_build_object('Item', jsonb_build_object('added', n % 5, 'updated', n % 3, 'deleted', n % 2)) ELSE '{}'::jsonb END
       FROM generate_series($4::int, $5::int) n
       CROSS JOIN LATERAL (SELECT now() - make_interval(secs => n * ($6::float8 * 86400 / $8::int))) x(t)`,
      [env, first, schedules.length, start, Math.min(RUNS, start + 100_000) - 1, SPREAD_DAYS, firstConnection, RUNS],
    );
  }
  await pool.query(
    `INSERT INTO proxy_requests (environment_id, connection_id, provider_config_key, method, url, status, duration_ms, attempts, error_code, created_at)
     SELECT $1, $4 + n % $5, 'integration-' || (n % $6 + 1), 'GET', 'https://api.example.test/items',
            CASE WHEN n % 100 = 0 THEN 429 WHEN n % 100 = 1 THEN 500 ELSE 200 END, 40, 1, NULL,
            now() - make_interval(secs => n * ($3::float8 * 86400 / $2::int))
     FROM generate_series(0, $2::int - 1) n`,
    [env, PROXY_CALLS, SPREAD_DAYS, firstConnection, CONNECTIONS, INTEGRATIONS],
  );
  await pool.query(
    `INSERT INTO webhook_events (id, environment_id, type, payload, created_at)
     SELECT gen_random_uuid(), $1, 'sync', jsonb_build_object('providerConfigKey', 'integration-' || (n % $4 + 1)),
            now() - make_interval(secs => n * ($3::float8 * 86400 / $2::int))
     FROM generate_series(0, $2::int - 1) n`,
    [env, DELIVERIES, SPREAD_DAYS, INTEGRATIONS],
  );
  await pool.query(
    `INSERT INTO webhook_deliveries (event_id, environment_id, url, state, attempts, created_at)
     SELECT id, environment_id, 'https://hooks.example.test/weft', 'delivered', 1, created_at FROM webhook_events`,
  );
  // What autovacuum does on a live database: statistics and the visibility map (index-only scans).
  await pool.query('VACUUM ANALYZE');
  process.stdout.write(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);
  return env;
}

export default defineBench({
  name: 'dashboard',
  description: `overview queries with ${RUNS.toLocaleString('en-US')} runs (over ${SPREAD_DAYS} days) and ${CONNECTIONS.toLocaleString('en-US')} connections`,
  async run(report) {
    const db = await startBenchDatabase();
    const pool = db.pool;
    try {
      const env = await seedOverviewData(pool);
      // Baseline: the bare count of the window's runs through the same index (the least any
      // overview of those runs can cost).
      const bare = async (range: keyof typeof RANGES) => {
        const w = windowOf(env, range, null);
        await pool.query('SELECT count(*) FROM sync_runs WHERE environment_id = $1 AND created_at >= $2', [
          env,
          w.since.toISOString(),
        ]);
      };
      for (const [range, integration, metric, ceiling] of [
        ['24h', null, 'overview_24h_p50', 300],
        ['7d', null, 'overview_7d_p50', 300],
        ['24h', 'integration-3', 'overview_24h_one_integration_p50', 300],
        ['1h', null, 'overview_1h_p50', 300],
      ] as const) {
        // The first call also rolls up the window's closed hours not rolled up yet (once per hour
        // ever, in a running deployment spread over the hours as they close): shown, not gated.
        const first = performance.now();
        await overview(pool, windowOf(env, range, integration));
        process.stdout.write(
          `${metric}: first call (fills hourly rollups) ${(performance.now() - first).toFixed(0)} ms\n`,
        );
        const samples = await time(SAMPLES, () => overview(pool, windowOf(env, range, integration)));
        const baseline = await time(SAMPLES, () => bare(range));
        report({
          metric,
          value: median(samples),
          baseline: median(baseline),
          unit: 'ms',
          higherIsBetter: false,
          target: 0,
          maxValue: ceiling,
          baselineLabel: `bare count(*) of the ${range} window's runs`,
        });
      }
    } finally {
      await db.stop();
    }
  },
});
