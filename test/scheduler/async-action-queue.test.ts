import { freePort } from '@weft/db';
import { type CompiledScript, compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

// `h` (no scheduler: it never works the action queue) prepares the database and reads it; the
// actions are accepted by a real `weft start` with one action slot and run by whichever process
// of the fleet has a free one.
let h: ApiHarness;
let api: DemoApi;
let demo: CompiledScript[];
const processes: WeftProcess[] = [];
const asyncHeaders = { 'Connection-Id': 'conn-1', 'Provider-Config-Key': 'demo', 'X-Async': 'true' };

const fleetEnv = () => ({
  DATABASE_URL: h.db.url,
  WEFT_ENCRYPTION_KEY: h.boxKeyHex,
  WEFT_ALLOW_PRIVATE_NETWORK: 'true',
  WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
  WEFT_ACTION_CONCURRENCY: '1',
});

async function startWeft(): Promise<{ process: WeftProcess; url: string }> {
  const process = spawnWeft(['start'], { ...fleetEnv(), PORT: String(await freePort()) });
  processes.push(process);
  const [, url] = await process.waitForLine(/^API URL: (http\S+)$/, 120_000);
  return { process, url: url ?? '' };
}

async function startWorker(): Promise<WeftProcess> {
  const worker = spawnWeft(['worker'], fleetEnv());
  processes.push(worker);
  await worker.waitForLine(/^Worker .* started/, 120_000);
  return worker;
}

async function kill(process: WeftProcess): Promise<void> {
  process.signal('SIGKILL');
  await process.exited;
}

async function triggerAsync(url: string, item: string): Promise<string> {
  const response = await fetch(`${url}/action/trigger`, {
    method: 'POST',
    headers: { ...asyncHeaders, authorization: `Bearer ${h.secretKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action_name: 'get-item', input: { id: item } }),
  });
  expect(response.status).toBe(202);
  const body = (await response.json()) as { id: string; statusUrl: string };
  expect(body.statusUrl).toBe(`/action/${body.id}`);
  return body.id;
}

async function actionRun(id: string) {
  const { rows } = await h.db.pool.query<{
    status: string;
    worker_id: string | null;
    output: unknown;
    error: { code?: string } | null;
  }>('SELECT status, worker_id, output, error FROM action_runs WHERE id = $1', [id]);
  return rows[0];
}

const ended = (id: string, what: string) =>
  eventually(
    async () => {
      const run = await actionRun(id);
      return run !== undefined && run.status !== 'queued' && run.status !== 'running' ? run : undefined;
    },
    90_000,
    what,
  );

/** The process a run's worker_id (`host:pid`) names. */
const pidOf = (workerId: string | null | undefined) => Number(workerId?.split(':').pop());

const upstreamCalls = (item: string) => api.seen.filter((r) => r.url === `/items/${item}`).length;

/** The demo integration, its connection and its scripts in the harness's database. */
async function prepare(harness: ApiHarness): Promise<void> {
  await harness.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  await harness.api('/connection', {
    method: 'POST',
    json: { connection_id: 'conn-1', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
  });
  await harness.runner.deploy(harness.environmentId, 'demo', demo);
}

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(10);
  demo = await compileIntegration(`${fixtures}demo`);
  await prepare(h);
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => kill(p)));
  await api?.stop();
  await h?.close();
});

describe('async actions as pg-boss jobs of the fleet', () => {
  it('accepted by a weft start whose only action slot is busy: run by a separate weft worker', async () => {
    const [start, worker] = await Promise.all([startWeft(), startWorker()]);
    // The first action takes weft start's only slot (it runs where it was accepted) and stays there.
    const busy = api.hold((u) => u.pathname === '/items/item-1');
    const first = await triggerAsync(start.url, 'item-1');
    await busy.arrived;
    expect(pidOf((await actionRun(first))?.worker_id)).toBe(start.process.child.pid);

    const second = await triggerAsync(start.url, 'item-2');
    const done = await ended(second, 'the second action to be run by the worker');
    expect(done).toMatchObject({ status: 'success', output: { id: 'item-2', name: 'Item 2', size: 20 } });
    expect(pidOf(done.worker_id)).toBe(worker.child.pid);
    // Nango's getAsyncActionResult, from the process that accepted it.
    const polled = await fetch(`${start.url}/action/${second}`, {
      headers: { authorization: `Bearer ${h.secretKey}` },
    });
    expect(polled.status).toBe(200);
    expect(await polled.json()).toEqual({ id: 'item-2', name: 'Item 2', size: 20 });
    // It did not wait for weft start's slot: the first action is still inside its request.
    expect(await actionRun(first)).toMatchObject({ status: 'running' });

    // The worker is capped like weft start (WEFT_ACTION_CONCURRENCY=1): with its slot busy, the
    // next queued action waits for it (the oldest job is fetched first).
    const workerBusy = api.hold((u) => u.pathname === '/items/item-7');
    const third = await triggerAsync(start.url, 'item-7');
    const fourth = await triggerAsync(start.url, 'item-8');
    await workerBusy.arrived;
    expect(pidOf((await actionRun(third))?.worker_id)).toBe(worker.child.pid);
    expect(await actionRun(fourth)).toMatchObject({ status: 'queued' });
    workerBusy.release();
    expect(await ended(third, 'the third action')).toMatchObject({ status: 'success' });
    const last = await ended(fourth, 'the fourth action');
    expect(last).toMatchObject({ status: 'success', output: { id: 'item-8' } });
    expect(pidOf(last.worker_id)).toBe(worker.child.pid);

    busy.release();
    expect(await ended(first, 'the first action to finish')).toMatchObject({ status: 'success' });
    for (const item of ['item-1', 'item-2', 'item-7', 'item-8']) expect(upstreamCalls(item)).toBe(1);
    await Promise.all([kill(start.process), kill(worker)]);
  }, 300_000);

  it('kill -9 right after accepting a queued action: it runs exactly once after the restart', async () => {
    const start = await startWeft();
    const busy = api.hold((u) => u.pathname === '/items/item-3');
    const lost = await triggerAsync(start.url, 'item-3');
    await busy.arrived;
    // No slot free and no other process: the run is accepted as queued, its job committed with it.
    const queued = await triggerAsync(start.url, 'item-4');
    expect(await actionRun(queued)).toMatchObject({ status: 'queued', worker_id: null });
    const pending = await fetch(`${start.url}/action/${queued}`, {
      headers: { authorization: `Bearer ${h.secretKey}` },
    });
    expect(pending.status).toBe(404);
    expect(await pending.json()).toMatchObject({ error: { code: 'WEFT_API_ACTION_PENDING' } });
    await kill(start.process);
    busy.release();

    const restarted = await startWeft();
    const done = await ended(queued, 'the queued action to run after the restart');
    expect(done).toMatchObject({ status: 'success', output: { id: 'item-4', name: 'Item 4', size: 40 } });
    expect(pidOf(done.worker_id)).toBe(restarted.process.child.pid);
    // The action the dead process had started is not run again: the reaper fails it.
    expect(await ended(lost, 'the lost action to be reaped')).toMatchObject({
      status: 'failed',
      error: { code: 'WEFT_RUNNER_ACTION_LOST' },
    });
    // Its job was completed with the claim: nothing is left that could run it a second time.
    const { rows: jobs } = await h.db.pool.query<{ state: string }>(
      `SELECT state FROM pgboss.job WHERE name = 'weft-async-actions' AND data->>'runId' = $1`,
      [queued],
    );
    expect(jobs.map((j) => j.state)).toEqual(['completed']);
    expect(upstreamCalls('item-4')).toBe(1);
    expect(upstreamCalls('item-3')).toBe(1);
  }, 300_000);

  it('a graceful stop gives running async actions the grace, then ends them failed (WEFT_RUNNER_CANCELLED), not lost', async () => {
    const stopping = await startApi({ scheduler: { concurrency: 0, shutdownGraceMs: 0 } });
    try {
      await prepare(stopping);
      const held = api.hold((u) => u.pathname === '/items/item-6');
      const response = await stopping.api('/action/trigger', {
        method: 'POST',
        headers: asyncHeaders,
        json: { action_name: 'get-item', input: { id: 'item-6' } },
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      await held.arrived;
      await stopping.scheduler?.stop();
      held.release();
      const { rows } = await stopping.db.pool.query<{ status: string; error: { code?: string } | null }>(
        'SELECT status, error FROM action_runs WHERE id = $1',
        [id],
      );
      expect(rows[0]).toMatchObject({ status: 'failed', error: { code: 'WEFT_RUNNER_CANCELLED' } });
    } finally {
      await stopping.close();
    }
  }, 120_000);
});
