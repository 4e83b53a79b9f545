import { freePort } from '@weft/db';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { receiveWebhooks, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { eventually } from '../scheduler/helpers.js';
import { type DemoApi, startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

// `h` is the surviving process (it heartbeats its own actions and reaps dead ones); `doomed` is a
// real `weft start` on the same database that is killed with an async action in flight.
let h: ApiHarness;
let api: DemoApi;
let doomed: WeftProcess | undefined;
let webhooks: WebhookReceiver;
const headers = { 'Connection-Id': 'conn-1', 'Provider-Config-Key': 'demo', 'X-Async': 'true' };

beforeAll(async () => {
  h = await startApi({ env: { WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2' } });
  api = await startDemoApi(5);
  await connectApiKeyIntegration(h, 'demo', 'conn-1', api.url);
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  webhooks = await receiveWebhooks(h);
}, 120_000);

afterAll(async () => {
  await webhooks?.stop();
  doomed?.signal('SIGKILL');
  await doomed?.exited;
  await api?.stop();
  await h?.close();
});

async function actionRun(id: string) {
  const { rows } = await h.db.pool.query<{ status: string; error: { code?: string; message?: string } | null }>(
    'SELECT status, error FROM action_runs WHERE id = $1',
    [id],
  );
  return rows[0];
}

describe('async actions whose process dies', () => {
  it('kill -9 mid-action: the action ends failed with WEFT_RUNNER_ACTION_LOST and its webhook is sent; a live one keeps running', async () => {
    const port = await freePort();
    doomed = spawnWeft(['start'], {
      DATABASE_URL: h.db.url,
      WEFT_ENCRYPTION_KEY: h.boxKeyHex,
      WEFT_ALLOW_PRIVATE_NETWORK: 'true',
      WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2',
      PORT: String(port),
    });
    const [, url] = await doomed.waitForLine(/^API URL: (http\S+)$/);
    const held = api.hold((u) => u.pathname === '/items/item-1');
    const triggered = await fetch(`${url}/action/trigger`, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${h.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action_name: 'get-item', input: { id: 'item-1' } }),
    });
    expect(triggered.status).toBe(202);
    const { id: lost } = (await triggered.json()) as { id: string };
    await held.arrived; // the action is inside its proxy call
    expect(await actionRun(lost)).toMatchObject({ status: 'running' });
    doomed.signal('SIGKILL');
    await doomed.exited;
    held.release();

    // A healthy action of the surviving process, started before the reap, must not be reaped.
    const liveHeld = api.hold((u) => u.pathname === '/items/item-2');
    const live = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: { action_name: 'get-item', input: { id: 'item-2' } },
    });
    const { id: alive } = (await live.json()) as { id: string };
    await liveHeld.arrived;

    const reaped = await eventually(
      async () => {
        const run = await actionRun(lost);
        return run?.status === 'failed' ? run : undefined;
      },
      60_000,
      'the lost action to be reaped',
    );
    expect(reaped.error).toMatchObject({ code: 'WEFT_RUNNER_ACTION_LOST' });
    expect(reaped.error?.message).toContain('get-item');
    const polled = await h.get(`/action/${lost}`);
    // As Nango's getAsyncActionResult: the failed action's error, not the run row.
    expect(polled).toMatchObject({ error: { code: 'WEFT_RUNNER_ACTION_LOST' } });
    // The consumer waiting for the async_action webhook hears of it as of a finished run.
    const hook = await eventually(
      async () =>
        webhooks
          .bodies()
          .find((b) => b.type === 'async_action' && (b.payload as { id?: string } | undefined)?.id === lost),
      30_000,
      'the lost action’s async_action webhook',
    );
    expect(hook).toMatchObject({
      from: 'nango',
      type: 'async_action',
      connectionId: 'conn-1',
      providerConfigKey: 'demo',
      payload: { id: lost, statusUrl: `/action/${lost}` },
    });
    expect(await actionRun(alive)).toMatchObject({ status: 'running' });
    liveHeld.release();
    const done = await eventually(
      async () => {
        const run = await actionRun(alive);
        return run?.status !== 'running' ? run : undefined;
      },
      30_000,
      'the live action to finish',
    );
    expect(done).toMatchObject({ status: 'success' });
  }, 180_000);
});
