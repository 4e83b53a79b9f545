import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { receiveWebhooks, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const ITEMS = 20_000;

let h: ApiHarness;
let api: DemoApi;
let webhooks: WebhookReceiver;
const workers: WeftProcess[] = [];
let connectionId = 0;

function startWorker(): WeftProcess {
  const worker = spawnWeft(['worker'], {
    DATABASE_URL: h.db.url,
    WEFT_ENCRYPTION_KEY: h.boxKeyHex,
    WEFT_ALLOW_PRIVATE_NETWORK: 'true',
    WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
    WEFT_WORKER_CONCURRENCY: '2',
  });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  // This process only ticks schedules, reaps and delivers webhooks; runs happen in `weft worker`s.
  h = await startApi({ scheduler: { concurrency: 0, tickMs: 100, heartbeatTimeoutMs: 2_000, retryDelayMs: 100 } });
  api = await startDemoApi(ITEMS);
  webhooks = await receiveWebhooks(h);
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  const created = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: 'victim', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
  });
  connectionId = ((await created.json()) as { id: number }).id;
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  // Only the explicit trigger below runs.
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
  await h.db.pool.query(`UPDATE sync_runs SET status = 'cancelled' WHERE status = 'queued'`);
  const [a, b] = [startWorker(), startWorker()];
  await Promise.all([a.waitForLine(/^Worker .* started/), b.waitForLine(/^Worker .* started/)]);
}, 120_000);

afterAll(async () => {
  for (const worker of workers) worker.signal('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await webhooks?.stop();
  await api?.stop();
  await h?.close();
});

describe('kill -9 mid-sync: the run and its webhook report exactly what was committed', () => {
  it(`${ITEMS} records, half committed by the killed attempt: the retry reports ${ITEMS} added`, async () => {
    const held = api.hold((url) => url.pathname === '/items' && url.searchParams.get('cursor') === String(ITEMS / 2));
    const trigger = await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'demo', syncs: ['items'], connection_id: 'victim' },
    });
    expect(trigger.status).toBe(200);
    await held.arrived; // the first half is saved and checkpointed; the next page is in flight
    const running = (await runsOf(h.db.pool, 'items', connectionId)).find((r) => r.status === 'running');
    const pid = Number(running?.worker_id?.split(':').pop());
    const doomed = workers.find((w) => w.child.pid === pid);
    expect(doomed).toBeDefined();
    doomed?.signal('SIGKILL');
    await doomed?.exited;
    held.release();

    const runs = await eventually(
      async () => {
        const list = (await runsOf(h.db.pool, 'items', connectionId)).filter((r) => r.status !== 'cancelled');
        return list.some((r) => r.status === 'success') ? list : undefined;
      },
      120_000,
      'the retried run to succeed',
    );
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'success']);
    const retried = runs[1];

    // What was committed: every record added once, none twice.
    const { rows: stored } = await h.db.pool.query<{ n: number; added: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE last_action = 'ADDED')::int AS added
       FROM records WHERE connection_id = $1 AND model = 'Item' AND deleted_at IS NULL`,
      [connectionId],
    );
    expect(stored[0]).toEqual({ n: ITEMS, added: ITEMS });
    const exact = { Item: { added: ITEMS, updated: 0, deleted: 0 } };

    // The run's counts…
    const { rows: counted } = await h.db.pool.query<{ counts: unknown }>('SELECT counts FROM sync_runs WHERE id = $1', [
      retried?.id,
    ]);
    expect(counted[0]?.counts).toEqual(exact);
    // …the sync webhook as delivered to the receiver (one event for the logical run)…
    const delivered = await eventually(
      async () => {
        const bodies = webhooks.bodies();
        return bodies.find((b) => b.type === 'sync' && b.runId === retried?.id);
      },
      60_000,
      'the sync webhook',
    );
    expect(delivered).toMatchObject({ success: true, models: exact, responseResults: exact.Item });
    expect(webhooks.bodies().filter((b) => b.type === 'sync')).toHaveLength(1);
    // …and the API's run history agree.
    const history = await h.get('/sync/runs?provider_config_key=demo&sync_name=items&connection_id=victim');
    expect(history.runs[0]).toMatchObject({ id: retried?.id, counts: exact });
  }, 240_000);
});
