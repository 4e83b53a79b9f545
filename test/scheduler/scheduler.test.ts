import { compileIntegration } from '@weft/runner';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
let connectionRowId: number;

beforeAll(async () => {
  // 'every hour' runs every second here (time scale 1/3600); ticks every 50 ms.
  h = await startApi({
    scheduler: {
      timeScale: 1 / 3600,
      tickMs: 50,
      heartbeatMs: 200,
      heartbeatTimeoutMs: 5_000,
      retryDelayMs: 100,
      concurrency: 4,
    },
  });
  api = await startDemoApi(120);
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  const imported = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: 'c1', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
  });
  connectionRowId = ((await imported.json()) as { id: number }).id;
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

const selector = { provider_config_key: 'demo', syncs: ['items'], connection_id: 'c1' };

/** Waits until the sync has no queued or running run (after a pause, nothing new is queued). */
const noActiveRun = () =>
  eventually(
    async () => (await runsOf(h.db.pool, 'items')).every((r) => r.status !== 'running' && r.status !== 'queued'),
    20_000,
    'no active run',
  );

/** A queued manual run of c1's items, due after `dueIn` (an interval), that has no job. */
async function queueRunWithoutJob(dueIn: string): Promise<string> {
  const { rows } = await h.db.pool.query<{ id: string }>(
    `INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, mode, trigger, run_after)
     SELECT gen_random_uuid(), id, environment_id, connection_id, sync_name, variant, 'queued', 'incremental', 'manual',
            now() + $2::interval
     FROM schedules WHERE connection_id = $1 AND sync_name = 'items' RETURNING id`,
    [connectionRowId, dueIn],
  );
  return String(rows[0]?.id);
}

/** Waits for the run to succeed; `early`: it started before it was due. */
const succeeded = (runId: string, what: string) =>
  eventually(
    async () =>
      (
        await h.db.pool.query<{ status: string; attempt: number; early: boolean }>(
          'SELECT status, attempt, started_at < run_after AS early FROM sync_runs WHERE id = $1',
          [runId],
        )
      ).rows.find((r) => r.status === 'success'),
    20_000,
    what,
  );

describe('scheduled syncs', () => {
  it('a deployed sync runs by itself, repeatedly; records accumulate; status and run history show it', async () => {
    const runs = await eventually(
      async () => {
        const list = (await runsOf(h.db.pool, 'items')).filter((r) => r.status === 'success');
        return list.length >= 3 ? list : undefined;
      },
      30_000,
      '3 successful scheduled runs',
    );
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    const { rows } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM records WHERE connection_id = $1 AND deleted_at IS NULL`,
      [connectionRowId],
    );
    expect(rows[0]?.n).toBe(120);
    const status = await h.get('/sync/status?provider_config_key=demo&syncs=items&connection_id=c1');
    expect(status.syncs[0]).toMatchObject({
      name: 'items',
      connection_id: 'c1',
      nextScheduledSyncAt: expect.any(String),
    });
    expect(['SUCCESS', 'RUNNING']).toContain(status.syncs[0].status);
    const history = await h.get('/sync/runs?provider_config_key=demo&sync_name=items');
    expect(history.runs.length).toBeGreaterThanOrEqual(3);
    // Never two at once for one connection+sync: intervals of finished runs do not overlap.
    const finished = (await runsOf(h.db.pool, 'items')).filter((r) => r.started_at && r.ended_at);
    for (let i = 1; i < finished.length; i++) {
      expect(Date.parse(finished[i]?.started_at ?? '') >= Date.parse(finished[i - 1]?.ended_at ?? '')).toBe(true);
    }
  });

  it('pause stops future runs; trigger on a paused sync is refused; start resumes', async () => {
    expect((await h.api('/sync/pause', { method: 'POST', json: selector })).status).toBe(200);
    await noActiveRun();
    const before = (await runsOf(h.db.pool, 'items')).length;
    await h.db.pool.query(`UPDATE schedules SET next_run_at = now() - interval '1 minute'`);
    await h.scheduler?.tickNow();
    await h.scheduler?.tickNow();
    expect((await runsOf(h.db.pool, 'items')).length).toBe(before);
    const status = await h.get('/sync/status?provider_config_key=demo&syncs=items');
    expect(status.syncs[0]).toMatchObject({ status: 'PAUSED', nextScheduledSyncAt: null });
    const refused = await h.api('/sync/trigger', { method: 'POST', json: selector });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as Body).error.code).toBe('WEFT_SCHEDULER_SYNC_PAUSED');
    expect((await h.api('/sync/start', { method: 'POST', json: selector })).status).toBe(200);
    await eventually(async () => (await runsOf(h.db.pool, 'items')).length > before, 20_000, 'a run after resume');
  });

  it('a trigger during a running run queues one run (coalescing further triggers) and never overlaps', async () => {
    await h.api('/sync/pause', { method: 'POST', json: selector });
    await noActiveRun();
    await h.api('/sync/start', { method: 'POST', json: selector });
    await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 hour'`);
    // Resuming made the schedule due at once: a tick may have queued a scheduled run before the
    // UPDATE above. Let it finish, so only this test's triggers are in play.
    await eventually(
      async () => (await runsOf(h.db.pool, 'items')).every((r) => r.status !== 'running' && r.status !== 'queued'),
      20_000,
      'idle again',
    );
    const manualBefore = (await runsOf(h.db.pool, 'items')).filter((r) => r.trigger === 'manual').length;
    const held = api.hold((url) => url.pathname === '/items' && url.searchParams.get('cursor') === '50');
    try {
      const first = await h.api('/sync/trigger', { method: 'POST', json: selector });
      expect(first.status).toBe(200);
      await held.arrived; // the run is now mid-flight
      const second = (await (await h.api('/sync/trigger', { method: 'POST', json: selector })).json()) as Body;
      const third = (await (await h.api('/sync/trigger', { method: 'POST', json: selector })).json()) as Body;
      expect(second.runs).toHaveLength(1);
      expect(third.runs).toHaveLength(0); // coalesced into the queued one
      const active = (await runsOf(h.db.pool, 'items'))
        .filter((r) => r.status === 'running' || r.status === 'queued')
        .map((r) => r.status)
        .sort();
      expect(active).toEqual(['queued', 'running']);
    } finally {
      held.release(); // never leave a run parked for the tests that follow
    }
    const [a, b] = await eventually(
      async () => {
        const manual = (await runsOf(h.db.pool, 'items')).filter((r) => r.trigger === 'manual').slice(manualBefore);
        return manual.length === 2 && manual.every((r) => r.status === 'success') ? manual : undefined;
      },
      20_000,
      'both manual runs done',
    );
    expect(Date.parse(b?.started_at ?? '')).toBeGreaterThanOrEqual(Date.parse(a?.ended_at ?? ''));
  });

  it('a run delivered before it is due (app and database clocks differ) is delivered again, not stranded', async () => {
    await h.api('/sync/pause', { method: 'POST', json: selector });
    await noActiveRun();
    // A run due in a second whose job is delivered at once, as a fast app clock would have it.
    const runId = await queueRunWithoutJob('1 second');
    const boss = new PgBoss({ connectionString: h.db.url, schema: 'pgboss', supervise: false, schedule: false });
    await boss.start();
    await boss.insert('weft-sync-runs', [{ data: { runId } }]);
    await boss.stop({ graceful: false });
    const run = await succeeded(runId, 'the early run to run once due');
    expect(run.early).toBe(false);
    await h.api('/sync/start', { method: 'POST', json: selector });
  });

  it('a triggered run started at once by this process runs once, even when a job for it is delivered too', async () => {
    await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 hour'`);
    await noActiveRun();
    const manualBefore = (await runsOf(h.db.pool, 'items')).filter((r) => r.trigger === 'manual').length;
    const held = api.hold((url) => url.pathname === '/items' && url.searchParams.get('cursor') === '50');
    let runId = '';
    try {
      const body = (await (await h.api('/sync/trigger', { method: 'POST', json: selector })).json()) as Body;
      runId = String(body.runs[0]);
      await held.arrived; // running in this process
      // A second delivery of the run, as a job sent for it anyway would be.
      const boss = new PgBoss({ connectionString: h.db.url, schema: 'pgboss', supervise: false, schedule: false });
      await boss.start();
      await boss.insert('weft-sync-runs', [{ data: { runId } }]);
      await boss.stop({ graceful: false });
      await eventually(
        async () => {
          const { rows } = await h.db.pool.query<{ state: string }>(
            `SELECT state FROM pgboss.job WHERE name = 'weft-sync-runs' AND data->>'runId' = $1`,
            [runId],
          );
          return rows.length > 0 && rows.every((r) => r.state === 'completed');
        },
        20_000,
        'the second delivery handled',
      );
    } finally {
      held.release();
    }
    const manual = await eventually(
      async () => {
        const list = (await runsOf(h.db.pool, 'items')).filter((r) => r.trigger === 'manual').slice(manualBefore);
        return list.every((r) => r.status === 'success') ? list : undefined;
      },
      20_000,
      'the manual run done',
    );
    expect(manual.map((r) => [r.id, r.attempt, r.worker_id])).toEqual([[runId, 1, h.scheduler?.workerId]]);
  });

  it('a queued run whose job was lost (a crash between queueing it and sending its job) still runs, and the sync goes on', async () => {
    await h.api('/sync/pause', { method: 'POST', json: selector });
    await noActiveRun();
    // Queued and long due, with no job: what a process killed right after the trigger statement leaves.
    const orphan = await queueRunWithoutJob('-1 hour');
    const ran = await succeeded(orphan, 'the orphaned run to run');
    expect(ran.attempt).toBe(1);
    // And a trigger afterwards is a run of its own again (before, it joined the stranded one).
    await h.api('/sync/start', { method: 'POST', json: selector });
    const body = (await (await h.api('/sync/trigger', { method: 'POST', json: selector })).json()) as Body;
    const next = String(body.runs[0]);
    expect(next).not.toBe(orphan);
    await succeeded(next, 'the next triggered run');
  });

  it('bad input: unknown sync or connection, invalid frequency, missing fields → stable codes', async () => {
    const unknownSync = await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'demo', syncs: ['nope'] },
    });
    expect(unknownSync.status).toBe(404);
    expect(((await unknownSync.json()) as Body).error.code).toBe('WEFT_SCHEDULER_SYNC_NOT_FOUND');
    const unknownConnection = await h.api('/sync/status?provider_config_key=demo&connection_id=ghost');
    expect(((await unknownConnection.json()) as Body).error.code).toBe('WEFT_SCHEDULER_SYNC_NOT_FOUND');
    const badFrequency = await h.api('/sync/update-connection-frequency', {
      method: 'PUT',
      json: { provider_config_key: 'demo', connection_id: 'c1', sync_name: 'items', frequency: 'every blue moon' },
    });
    expect(badFrequency.status).toBe(400);
    expect(((await badFrequency.json()) as Body).error).toMatchObject({
      code: 'WEFT_SCHEDULER_INVALID_FREQUENCY',
      message: expect.stringContaining('every blue moon'),
    });
    const ok = await h.api('/sync/update-connection-frequency', {
      method: 'PUT',
      json: { provider_config_key: 'demo', connection_id: 'c1', sync_name: 'items', frequency: 'every 2 hours' },
    });
    expect(await ok.json()).toEqual({ frequency: 'every 2 hours', frequency_seconds: 7200 });
    const missing = await h.api('/sync/trigger', { method: 'POST', json: { syncs: ['items'] } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Body).error.code).toBe('WEFT_API_INVALID_REQUEST');
  });

  it('the CLI triggers and waits for a run, and prints status', async () => {
    const env = { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey };
    const triggered = spawnWeft(['sync', 'trigger', 'demo', 'items', '--connection', 'c1', '--wait'], env);
    expect(await triggered.exited, triggered.stderr.join('\n')).toBe(0);
    expect(triggered.stdout.join('\n')).toMatch(/c1 {2}items {2}SUCCESS {2}Item \+0 ~0 -0/);
    const status = spawnWeft(['sync', 'status', 'demo'], env);
    expect(await status.exited).toBe(0);
    expect(status.stdout.join('\n')).toContain('c1  items');
    const bad = spawnWeft(['sync', 'trigger', 'demo', 'nope'], env);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr.join('\n')).toContain('WEFT_SCHEDULER_SYNC_NOT_FOUND');
  });
});
