import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { pruneOperationLog } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const headers = { 'Connection-Id': 'c1', 'Provider-Config-Key': 'demo' };

let h: ApiHarness;
let api: DemoApi;
let receiver: Server;
let deliveries: WebhookDeliveryWorker;

beforeAll(async () => {
  h = await startApi({ scheduler: { concurrency: 1, tickMs: 50 } });
  api = await startDemoApi(5);
  receiver = createServer((_req, res) => res.end('ok'));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  await h.api('/webhooks/settings', {
    method: 'PUT',
    // Every run sends its event, changes or not.
    json: {
      primary_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      send_empty_sync_events: true,
    },
  });
  deliveries = createWebhookDeliveryWorker({
    pool: h.db.pool,
    box: h.box,
    policy: { pollMs: 25, baseDelayMs: 60_000 },
  });
  await deliveries.start();
  await connectApiKeyIntegration(h, 'demo', 'c1', api.url);
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  // Only this test's triggers run: the schedule's own first run is pushed out of the way.
  await h.scheduler?.tickNow();
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
}, 60_000);

afterAll(async () => {
  await deliveries.stop();
  receiver.close();
  await api.stop();
  await h.close();
});

const count = async (table: string) =>
  (await h.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n ?? 0;

describe('operation log retention (WEFT_LOGS_RETENTION_DAYS)', () => {
  it('drops finished runs, proxy lines and delivered events past the cutoff; keeps the last success and pending deliveries', async () => {
    // Three successful runs, their proxy calls and delivered webhooks.
    const successes = async () => (await runsOf(h.db.pool, 'items')).filter((r) => r.status === 'success').length;
    for (let n = 1; n <= 3; n++) {
      await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'demo' } });
      await eventually(async () => (await successes()) >= n, 20_000, `successful run ${n}`);
    }
    const noPending = async () =>
      (await h.db.pool.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'pending'`)).rows.length === 0;
    await eventually(noPending, 20_000, 'every webhook delivered');
    const delivered = await count('webhook_events');
    expect(delivered).toBeGreaterThanOrEqual(3);

    // A fourth run whose webhook cannot reach the (refusing) secondary URL: its event must stay.
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    await h.api('/webhooks/settings', {
      method: 'PUT',
      json: { secondary_url: `http://127.0.0.1:${closedPort}/hooks` },
    });
    await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'demo' } });
    await eventually(async () => (await successes()) >= 4, 20_000, 'successful run 4');
    await eventually(
      async () =>
        (await h.db.pool.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND attempts >= 1`)).rows
          .length === 1,
      20_000,
      'a failed attempt to the secondary URL',
    );
    await h.api('/sync/pause', { method: 'POST', json: { provider_config_key: 'demo' } });
    const action = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: { action_name: 'get-item', input: { id: 'item-1' } },
    });
    expect(action.status).toBe(200);
    // The proxy request log is written in batches: wait for the action's call to land.
    await eventually(
      async () => (await h.db.pool.query(`SELECT 1 FROM proxy_requests WHERE url LIKE '%/items/item-1'`)).rows.length,
      10_000,
      "the action's proxy line",
    );
    const lastSuccess = (await runsOf(h.db.pool, 'items')).filter((r) => r.status === 'success').at(-1);
    expect(await count('proxy_requests')).toBeGreaterThan(3);
    expect(await count('action_runs')).toBe(1);

    // 0 keeps everything; a cutoff in the past of everything prunes nothing.
    expect(await pruneOperationLog(h.db.pool, 0, new Date(Date.now() + 90 * 86_400_000))).toEqual({
      syncRuns: 0,
      actionRuns: 0,
      proxyRequests: 0,
      webhookEvents: 0,
    });
    expect((await pruneOperationLog(h.db.pool, 30)).syncRuns).toBe(0);

    // 31 days later everything above is past a 30-day retention.
    const pruned = await pruneOperationLog(h.db.pool, 30, new Date(Date.now() + 31 * 86_400_000));
    expect(pruned.syncRuns).toBe(3);
    expect(pruned.webhookEvents).toBe(delivered);
    expect(pruned.actionRuns).toBe(1);
    expect(pruned.proxyRequests).toBeGreaterThan(3);
    expect(await count('proxy_requests')).toBe(0);
    expect(await count('action_runs')).toBe(0);
    expect((await runsOf(h.db.pool, 'items')).map((r) => r.id)).toEqual([lastSuccess?.id]);
    // The event still waiting for its secondary delivery stays, with both its deliveries.
    expect(await count('webhook_events')).toBe(1);
    expect(await count('webhook_deliveries')).toBe(2);

    // The next incremental run still gets its lastSyncDate from the run that was kept.
    const status = await h.get('/sync/status?provider_config_key=demo&syncs=items&connection_id=c1');
    expect((status.syncs as Body[])[0]).toMatchObject({ status: 'PAUSED' });
    const logs = await h.get('/logs?connection_id=c1');
    expect(logs.operations.filter((o: Body) => o.type === 'sync')).toHaveLength(1);
  });
});
