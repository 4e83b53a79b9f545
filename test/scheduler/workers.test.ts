import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
const workers: WeftProcess[] = [];
const connectionIds = new Map<string, number>();

function startWorker(): WeftProcess {
  const worker = spawnWeft(['worker'], {
    DATABASE_URL: h.db.url,
    WEFT_ENCRYPTION_KEY: h.boxKeyHex,
    WEFT_ALLOW_PRIVATE_NETWORK: 'true',
    WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
    WEFT_WORKER_CONCURRENCY: '8',
  });
  workers.push(worker);
  return worker;
}

async function addConnection(id: string): Promise<void> {
  const response = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: id, provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
  });
  connectionIds.set(id, ((await response.json()) as { id: number }).id);
}

beforeAll(async () => {
  // This process only ticks schedules and reaps; the runs happen in `weft worker` processes.
  h = await startApi({ scheduler: { concurrency: 0, tickMs: 100, heartbeatTimeoutMs: 2_000, retryDelayMs: 100 } });
  api = await startDemoApi(120);
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  await Promise.all(Array.from({ length: 200 }, (_, i) => addConnection(`conn-${i}`)));
  await addConnection('victim');
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  // Only explicit triggers in this file: push the first scheduled runs out of the way.
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
  const [a, b] = [startWorker(), startWorker()];
  await Promise.all([a.waitForLine(/^Worker .* started/), b.waitForLine(/^Worker .* started/)]);
}, 120_000);

afterAll(async () => {
  for (const worker of workers) worker.signal('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await api.stop();
  await h.close();
});

describe('two weft worker processes on one database', () => {
  it('200 connections triggered together: every sync runs exactly once, never twice at once, spread over both workers', async () => {
    const response = await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'demo', syncs: ['items'] },
    });
    expect(response.status).toBe(200);
    const runs = await eventually(
      async () => {
        const list = (await runsOf(h.db.pool, 'items')).filter((r) => r.trigger === 'manual');
        return list.length >= 201 && list.every((r) => r.status === 'success') ? list : undefined;
      },
      90_000,
      '201 successful runs',
    );
    expect(runs).toHaveLength(201);
    expect(new Set(runs.map((r) => r.connection_id)).size).toBe(201);
    const byWorker = new Map<string, number>();
    for (const run of runs) byWorker.set(run.worker_id ?? '', (byWorker.get(run.worker_id ?? '') ?? 0) + 1);
    expect(byWorker.size).toBe(2);
    for (const count of byWorker.values()) expect(count).toBeGreaterThan(20);
    const { rows } = await h.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM records WHERE deleted_at IS NULL`,
    );
    expect(rows[0]?.n).toBe(201 * 120);
  }, 120_000);

  it('kill -9 of the worker mid-run: interrupted, retried elsewhere from its checkpoint, no loss and no duplicates', async () => {
    const victim = connectionIds.get('victim') ?? 0;
    const before = (await runsOf(h.db.pool, 'items', victim)).length;
    const held = api.hold((url) => url.pathname === '/items' && url.searchParams.get('cursor') === '50');
    await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'demo', syncs: ['items'], connection_id: 'victim' },
    });
    await held.arrived; // page 1 saved and checkpointed; page 2 in flight
    const running = (await runsOf(h.db.pool, 'items', victim)).slice(before).find((r) => r.status === 'running');
    expect(running).toBeDefined();
    const pid = Number(running?.worker_id?.split(':').pop());
    const doomed = workers.find((w) => w.child.pid === pid);
    expect(doomed).toBeDefined();
    doomed?.signal('SIGKILL');
    await doomed?.exited;
    held.release();
    const runs = await eventually(
      async () => {
        const list = (await runsOf(h.db.pool, 'items', victim)).slice(before);
        return list.some((r) => r.status === 'success') ? list : undefined;
      },
      60_000,
      'the retried run to succeed',
    );
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'success']);
    expect(runs[1]?.attempt).toBe(2);
    expect(runs[1]?.worker_id).not.toBe(running?.worker_id);
    const { rows } = await h.db.pool.query<{ external_id: string; last_action: string }>(
      'SELECT external_id, last_action FROM records WHERE connection_id = $1 ORDER BY external_id',
      [victim],
    );
    expect(rows).toHaveLength(120);
    expect(rows.every((r) => r.last_action === 'ADDED')).toBe(true);
    expect(rows.map((r) => r.external_id).sort()).toEqual(api.items.map((i) => i.id).sort());
  }, 90_000);
});
