import { timingSafeEqual } from 'node:crypto';
import { parseProviders } from '@weft/auth';
import { compileIntegration } from '@weft/runner';
import {
  catalogueRuleRouter,
  type ProviderWebhookRouter,
  pruneProviderWebhooks,
  WebhookRouterRegistry,
} from '@weft/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { receiveWebhooks, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from '../scheduler/helpers.js';
import {
  createWebhookConnection,
  createWebhookIntegration,
  eventRecords,
  HOOKY_PROVIDERS_YAML,
  holdScheduledRuns,
} from './hooky.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

// hooky (hooky.ts), routed by a declarative rule, and `signed`, whose router is in code (below).
const catalogue = parseProviders(
  `${HOOKY_PROVIDERS_YAML}signed:
  display_name: Signed (a router in code)
  auth_mode: API_KEY
  proxy:
    base_url: https://signed.example
`,
  'test-providers.yaml',
);

// A router in code, as Microsoft Graph's is: a handshake, a batch in value[], a constant-time
// secret check and routing by connection id; `refresh: true` asks for an incremental sync run.
const signedRouter: ProviderWebhookRouter = {
  name: 'signed',
  handles: (provider) => provider === 'signed',
  ackStatus: 202,
  handshake: (request) =>
    request.query.validationToken !== undefined
      ? { status: 200, contentType: 'text/plain', body: request.query.validationToken }
      : undefined,
  split: (request) =>
    ((request.body as { value?: Array<{ id: string }> }).value ?? []).map((item) => ({
      dedupeKey: item.id,
      payload: item,
    })),
  async verify(notification) {
    const given = Buffer.from(String((notification.payload as { secret?: string }).secret ?? ''));
    const expected = Buffer.from('s3cret');
    return given.length === expected.length && timingSafeEqual(given, expected)
      ? { ok: true }
      : { ok: false, reason: 'the secret does not match' };
  },
  async route(notification, context) {
    const payload = notification.payload as { connection: string; type: string; refresh?: boolean };
    return {
      connections: await context.connectionsById([payload.connection]),
      action: payload.refresh ? 'sync' : 'handler',
      eventType: payload.type,
    };
  },
};

let h: ApiHarness;
let api: DemoApi;
let webhooks: WebhookReceiver;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function inbox(where = 'true') {
  const { rows } = await h.db.pool.query<{
    id: string;
    dedupe_key: string;
    status: string;
    outcome: Body;
    provider_config_key: string;
  }>(
    `SELECT id::text, dedupe_key, status, outcome, provider_config_key FROM provider_webhooks WHERE ${where} ORDER BY id`,
  );
  return rows;
}

async function processed(dedupeKey: string) {
  return eventually(
    async () => {
      const [row] = await inbox(`dedupe_key = '${dedupeKey}' AND status IN ('processed', 'refused', 'failed')`);
      return row;
    },
    30_000,
    `notification ${dedupeKey} processed`,
  );
}

async function records(connectionId: string, integration = 'hooks') {
  return (await eventRecords(h.api, integration, connectionId)) as Array<{
    id: string;
    type: string;
    account: string;
    via: string;
    webhookUrl: string | null;
  }>;
}

beforeAll(async () => {
  const routers = new WebhookRouterRegistry().register(signedRouter).register(catalogueRuleRouter(catalogue));
  h = await startApi({
    providers: catalogue,
    scheduler: { concurrency: 2, tickMs: 200, webhookRouters: routers },
    env: { WEFT_WEBHOOK_BODY_LIMIT_BYTES: '4096' },
  });
  api = await startDemoApi(3);
  webhooks = await receiveWebhooks(h);
  const compiled = await compileIntegration(`${fixtures}webhooks`);
  for (const [key, provider] of [
    ['hooks', 'hooky'],
    ['signed-hooks', 'signed'],
  ] as const) {
    // Only `hooks` asks for its provider's webhooks to be forwarded (Nango's forward_webhooks).
    await createWebhookIntegration(h.api, key, { baseUrl: api.url, provider, forwardWebhooks: key === 'hooks' });
    await h.runner.deploy(h.environmentId, key, compiled);
  }
  for (const [connection, account, key] of [
    ['conn-a', 'acct-1', 'hooks'],
    ['conn-b', 'acct-2', 'hooks'],
    ['conn-s', 'acct-s', 'signed-hooks'],
  ] as const) {
    await createWebhookConnection(h.api, key, connection, account);
  }
  await h.scheduler?.tickNow();
  // Only webhooks run: the daily schedules are not due in this test.
  await holdScheduledRuns(h.db.pool);
}, 120_000);

afterAll(async () => {
  await webhooks?.stop();
  await api?.stop();
  await h?.close();
});

describe('POST /webhook/:environment/:integration', () => {
  it('stores, routes by the providers.yaml rule and runs onWebhook as a webhook-triggered run of the connection', async () => {
    const response = await post(
      '/webhook/dev/hooks',
      { type: 'item.created', account: { id: 'acct-1' }, item: { id: 'e-1' } },
      { 'x-hooky-delivery': 'd-1' },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'success' });
    // Stored before the acknowledgement: the row exists as soon as the 200 arrived.
    expect((await inbox(`dedupe_key = 'id:d-1'`)).length).toBe(1);
    const row = await processed('id:d-1');
    expect(row.status).toBe('processed');
    expect(row.outcome).toMatchObject({ router: 'rule', action: 'handler', eventType: 'item.created' });
    expect(row.outcome.connections).toEqual(['conn-a']);
    expect(row.outcome.runs).toHaveLength(1);

    expect(await records('conn-a')).toEqual([
      expect.objectContaining({
        id: 'e-1',
        type: 'item.created',
        account: 'acct-1',
        via: 'webhook',
        webhookUrl: `${h.url}/webhook/dev/hooks`,
      }),
    ]);
    expect(await records('conn-b')).toEqual([]);

    // Run history: a sync run with trigger 'webhook', its log and counts, like a scheduled run.
    const runs = await h.get('/sync/runs?provider_config_key=hooks&connection_id=conn-a');
    const run = (runs.runs ?? runs).find((r: Body) => r.trigger === 'webhook');
    expect(run).toMatchObject({ status: 'success', trigger: 'webhook' });

    // The customer hears of it twice: the raw notification forwarded, and the sync webhook for the record.
    const bodies = await eventually(async () => {
      const seen = webhooks.bodies() as Body[];
      const forward = seen.find((b) => b.type === 'forward' && b.payload?.item?.id === 'e-1');
      const sync = seen.find((b) => b.type === 'sync' && b.connectionId === 'conn-a');
      return forward && sync ? { forward, sync } : undefined;
    });
    expect(bodies.forward).toMatchObject({
      from: 'hooky',
      type: 'forward',
      connectionId: 'conn-a',
      providerConfigKey: 'hooks',
      payload: { type: 'item.created', account: { id: 'acct-1' }, item: { id: 'e-1' } },
    });
    expect(bodies.sync).toMatchObject({
      syncName: 'events',
      model: 'Event',
      success: true,
      responseResults: { added: 1, updated: 0, deleted: 0 },
    });
  });

  it('a duplicate delivery is acknowledged and not stored or run again', async () => {
    const body = { type: 'item.updated', account: { id: 'acct-2' }, item: { id: 'e-2' } };
    expect((await post('/webhook/dev/hooks', body, { 'x-hooky-delivery': 'd-2' })).status).toBe(200);
    expect((await post('/webhook/dev/hooks', body, { 'x-hooky-delivery': 'd-2' })).status).toBe(200);
    expect(await inbox(`dedupe_key = 'id:d-2'`)).toHaveLength(1);
    await processed('id:d-2');
    const { rows } = await h.db.pool.query(
      `SELECT count(*)::int AS n FROM sync_runs r JOIN provider_webhooks w ON w.id = r.webhook_id WHERE w.dedupe_key = 'id:d-2'`,
    );
    expect(rows[0].n).toBe(1);
    expect((await records('conn-b')).map((r) => r.id)).toEqual(['e-2']);
  });

  it('without a delivery id the dedupe key is a hash of the notification', async () => {
    const body = { type: 'item.updated', account: { id: 'acct-2' }, item: { id: 'e-3' } };
    expect((await post('/webhook/dev/hooks', body)).status).toBe(200);
    expect((await post('/webhook/dev/hooks', body)).status).toBe(200);
    const rows = await inbox(`payload->'item'->>'id' = 'e-3'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.dedupe_key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a type no sync subscribes to runs nothing; an unknown account is forwarded without a connection', async () => {
    await post(
      '/webhook/dev/hooks',
      { type: 'item.deleted', account: { id: 'acct-1' }, item: { id: 'x' } },
      {
        'x-hooky-delivery': 'd-4',
      },
    );
    expect((await processed('id:d-4')).outcome).toMatchObject({ connections: ['conn-a'], runs: [], forwarded: 1 });
    await post(
      '/webhook/dev/hooks',
      { type: 'item.created', account: { id: 'nobody' }, item: { id: 'y' } },
      {
        'x-hooky-delivery': 'd-5',
      },
    );
    expect((await processed('id:d-5')).outcome).toMatchObject({ connections: [], runs: [], forwarded: 1 });
    const forwarded = await eventually(async () =>
      (webhooks.bodies() as Body[]).find((b) => b.type === 'forward' && b.payload?.item?.id === 'y'),
    );
    expect(forwarded).not.toHaveProperty('connectionId');
  });

  it('a router in code: handshake answered at once, batches split, forged secrets refused, sync refreshes queued', async () => {
    const handshake = await fetch(
      `${h.url}/webhook/dev/signed-hooks?validationToken=${encodeURIComponent('tok <1>')}`,
      {
        method: 'POST',
      },
    );
    expect(handshake.status).toBe(200);
    expect(handshake.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await handshake.text()).toBe('tok <1>');
    expect(await inbox(`provider_config_key = 'signed-hooks'`)).toHaveLength(0);

    const batch = await post('/webhook/dev/signed-hooks', {
      value: [
        {
          id: 'n-1',
          secret: 's3cret',
          connection: 'conn-s',
          type: 'item.created',
          account: { id: 'acct-s' },
          item: { id: 's-1' },
        },
        {
          id: 'n-2',
          secret: 'forged',
          connection: 'conn-s',
          type: 'item.created',
          account: { id: 'acct-s' },
          item: { id: 's-2' },
        },
        { id: 'n-3', secret: 's3cret', connection: 'conn-s', type: 'changed', refresh: true },
      ],
    });
    expect(batch.status).toBe(202);
    expect((await processed('n-1')).status).toBe('processed');
    const forged = await processed('n-2');
    expect(forged.status).toBe('refused');
    expect(forged.outcome).toMatchObject({
      router: 'signed',
      code: 'WEFT_WEBHOOK_REFUSED',
      reason: 'the secret does not match',
    });
    const refresh = await processed('n-3');
    // signed-hooks did not ask for forwarding: nothing reaches the customer but the sync webhooks.
    expect(refresh.outcome).toMatchObject({ action: 'sync', forwarded: 0 });
    expect(refresh.outcome.queued).toHaveLength(1);
    // The queued incremental run executes the sync (exec lists the demo API's items).
    await eventually(async () => (await records('conn-s', 'signed-hooks')).some((r) => r.via === 'exec'));
    const saved = await records('conn-s', 'signed-hooks');
    expect(saved.find((r) => r.id === 's-1')?.via).toBe('webhook');
    expect(saved.find((r) => r.id === 's-2')).toBeUndefined();
  });

  it('a handler never overlaps a running sync of its connection: it runs after the sync ends', async () => {
    const held = api.hold((u) => u.pathname === '/items');
    await h.scheduler?.trigger({
      environmentId: h.environmentId,
      providerConfigKey: 'signed-hooks',
      connectionId: 'conn-s',
    });
    await held.arrived; // the sync run is running (its exec waits on the provider)
    const response = await post('/webhook/dev/signed-hooks', {
      value: [
        {
          id: 'n-9',
          secret: 's3cret',
          connection: 'conn-s',
          type: 'item.created',
          account: { id: 'acct-s' },
          item: { id: 's-9' },
        },
      ],
    });
    expect(response.status).toBe(202);
    // The handler was tried while the sync runs and put back to wait (a job that counts its waits).
    await eventually(
      async () => {
        const { rows } = await h.db.pool.query(
          `SELECT 1 FROM pgboss.job WHERE name = 'weft-provider-webhooks' AND (data->>'waits')::int >= 1
           AND data->>'id' = (SELECT id::text FROM provider_webhooks WHERE dedupe_key = 'n-9')`,
        );
        return rows.length > 0;
      },
      30_000,
      'the handler waiting for the running sync',
    );
    held.release();
    const row = await processed('n-9');
    const { rows } = await h.db.pool.query<{ trigger: string; started_at: number; ended_at: number }>(
      `SELECT trigger, extract(epoch FROM started_at)::float8 AS started_at, extract(epoch FROM ended_at)::float8 AS ended_at
       FROM sync_runs r
       WHERE r.connection_id = (SELECT id FROM connections WHERE connection_id = 'conn-s')
         AND (r.webhook_id = $1 OR r.trigger = 'manual') ORDER BY r.created_at DESC`,
      [row.id],
    );
    const handler = rows.find((r) => r.trigger === 'webhook');
    const sync = rows.find((r) => r.trigger === 'manual');
    expect(handler && sync).toBeTruthy();
    expect(handler?.started_at).toBeGreaterThanOrEqual(sync?.ended_at ?? Number.POSITIVE_INFINITY);
    expect(row.outcome.runs).toEqual([expect.objectContaining({ status: 'success' })]);
  });

  it('finished notifications are pruned with the operation log retention; unfinished ones stay', async () => {
    const before = (await inbox()).length;
    await h.db.pool.query(
      `INSERT INTO provider_webhooks (environment_id, integration_id, provider_config_key, provider, dedupe_key, payload, received_at)
       SELECT environment_id, integration_id, provider_config_key, provider, 'old-pending', '{}', now() - interval '40 days'
       FROM provider_webhooks LIMIT 1`,
    );
    await h.db.pool.query(
      `UPDATE provider_webhooks SET received_at = now() - interval '40 days' WHERE dedupe_key = 'id:d-1'`,
    );
    expect(await pruneProviderWebhooks(h.db.pool, 30)).toBe(1);
    expect(await inbox(`dedupe_key = 'id:d-1'`)).toHaveLength(0);
    expect(await inbox(`dedupe_key = 'old-pending'`)).toHaveLength(1);
    expect((await inbox()).length).toBe(before);
    await h.db.pool.query(`DELETE FROM provider_webhooks WHERE dedupe_key = 'old-pending'`);
  });

  it('a body over the limit is refused with 413 in Weft’s error shape; unknown targets with 404', async () => {
    const big = await post('/webhook/dev/hooks', { pad: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as Body).error).toMatchObject({ code: 'WEFT_WEBHOOK_PAYLOAD_TOO_LARGE' });
    for (const path of ['/webhook/nope/hooks', '/webhook/dev/nope']) {
      const missing = await post(path, {});
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as Body).error.code).toBe('WEFT_WEBHOOK_UNKNOWN_TARGET');
    }
  });
});
