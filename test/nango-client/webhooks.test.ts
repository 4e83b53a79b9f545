import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Nango } from '@nangohq/node';
import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from '../proxy/upstream.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from '../scheduler/helpers.js';
import { shape } from './nango-shapes.js';

/**
 * A backend written for Nango receives Weft's webhooks: every body has the fields of Nango's
 * webhook types with Nango's meaning, and the client's own helpers verify the signatures.
 */

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const isoTimestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO timestamp');
const counts = z.object({ added: z.number(), updated: z.number(), deleted: z.number() });

/** `NangoSyncWebhookBodySuccess` */
const SyncSuccess = z.object({
  from: z.string(),
  type: z.literal('sync'),
  connectionId: z.string(),
  providerConfigKey: z.string(),
  syncName: z.string(),
  syncVariant: z.string(),
  model: z.string(),
  syncType: z.enum(['INCREMENTAL', 'INITIAL', 'WEBHOOK']),
  success: z.literal(true),
  modifiedAfter: isoTimestamp,
  responseResults: counts,
  queryTimeStamp: isoTimestamp.nullable(),
});
/** `NangoSyncWebhookBodyError` */
const SyncError = z.object({
  from: z.string(),
  type: z.literal('sync'),
  connectionId: z.string(),
  providerConfigKey: z.string(),
  syncName: z.string(),
  syncVariant: z.string(),
  model: z.string(),
  syncType: z.enum(['INCREMENTAL', 'INITIAL', 'WEBHOOK']),
  success: z.literal(false),
  error: z.looseObject({ type: z.string(), description: z.string() }),
  startedAt: isoTimestamp,
  failedAt: isoTimestamp,
});
/** `NangoAuthWebhookBodySuccess` */
const AuthSuccess = z.object({
  from: z.string(),
  type: z.literal('auth'),
  connectionId: z.string(),
  authMode: z.string(),
  providerConfigKey: z.string(),
  provider: z.string(),
  environment: z.string(),
  operation: z.enum(['creation', 'override', 'refresh', 'unknown']),
  success: z.literal(true),
  tags: z.record(z.string(), z.string()).optional(),
  endUser: z
    .object({
      endUserId: z.string(),
      organizationId: z.string().optional(),
      endUserEmail: z.string().nullable().optional(),
      tags: z.record(z.string(), z.string()),
    })
    .optional(),
});
/** `NangoAsyncActionWebhookBody` */
const AsyncAction = z.object({
  from: z.string(),
  type: z.literal('async_action'),
  connectionId: z.string(),
  providerConfigKey: z.string(),
  payload: z.object({ id: z.string(), statusUrl: z.string() }),
});

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown>;
}

let h: ApiHarness;
let demo: DemoApi;
let up: Upstream;
let worker: WebhookDeliveryWorker;
let server: Server;
let nango: Nango;
let signingKey: string;
const received: Received[] = [];

const find = (predicate: (body: Record<string, unknown>) => boolean, what: string) =>
  eventually(async () => received.find((r) => predicate(r.json)), 20_000, what);

beforeAll(async () => {
  h = await startApi({ scheduler: { tickMs: 50, retryDelayMs: 60_000, concurrency: 2 } });
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown> });
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/nango-webhooks`;
  const settings = (await (
    await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: url } })
  ).json()) as { secret: string };
  signingKey = settings.secret;
  worker = createWebhookDeliveryWorker({
    pool: h.db.pool,
    box: h.box,
    policy: { baseDelayMs: 40, maxDelayMs: 200, pollMs: 25, circuitThreshold: 100, timeoutMs: 5_000 },
  });
  await worker.start();
  nango = new Nango({ apiKey: h.secretKey, host: h.url, webhookSigningKey: signingKey });

  demo = await startDemoApi(12);
  up = await new Upstream().start();
  up.reset((_req, res) => json(res, 200, { login: 'someone' }));
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: demo.url } } },
  });
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'pat', provider: 'github-pat', overrides: { proxy: { base_url: up.url } } },
  });
  await h.api('/connection', {
    method: 'POST',
    json: { connection_id: 'c1', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
  });
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`, { skipTypeCheck: true }));
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  server?.closeAllConnections();
  server?.close();
  await up?.stop();
  await demo?.stop();
  await h?.close();
});

/** What a Nango receiver does with each delivery: verify with the client's helper, then parse. */
function verified(r: Received): boolean {
  return nango.verifyIncomingWebhookRequest(r.body, r.headers as Record<string, unknown>);
}

describe('webhooks a Nango receiver accepts', () => {
  it('auth: a connection made through a connect session', async () => {
    const session = await nango.createConnectSession({
      end_user: { id: 'user-1', email: 'one@example.com', tags: { plan: 'pro' } },
      organization: { id: 'org-1' },
    });
    const connected = await fetch(`${h.url}/connect/credentials/pat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ connect_session_token: session.data.token, api_key: 'secret-key' }),
    });
    const { connection_id } = (await connected.json()) as { connection_id: string };
    const hook = await find((b) => b.type === 'auth' && b.providerConfigKey === 'pat', 'the auth webhook');
    expect(verified(hook)).toBe(true);
    const body = shape(AuthSuccess, hook.json);
    expect(body).toMatchObject({
      from: 'nango',
      connectionId: connection_id,
      authMode: 'API_KEY',
      provider: 'github-pat',
      environment: 'dev',
      operation: 'creation',
      endUser: { endUserId: 'user-1', organizationId: 'org-1', endUserEmail: 'one@example.com', tags: { plan: 'pro' } },
    });
    expect(hook.body).not.toContain('secret-key');
  });

  it('sync: the first run is INITIAL, a later one INCREMENTAL; modifiedAfter fetches exactly the run’s changes', async () => {
    await nango.triggerSync('demo', ['items'], 'c1');
    const first = await find((b) => b.type === 'sync' && b.success === true, 'the first sync webhook');
    expect(verified(first)).toBe(true);
    const initial = shape(SyncSuccess, first.json);
    expect(initial).toMatchObject({
      from: 'nango',
      connectionId: 'c1',
      providerConfigKey: 'demo',
      syncName: 'items',
      syncVariant: 'base',
      model: 'Item',
      syncType: 'INITIAL',
      responseResults: { added: 12, updated: 0, deleted: 0 },
    });
    expect(initial.queryTimeStamp).toBe(initial.modifiedAfter);

    const item = demo.items[4];
    if (item) item.title = 'Renamed';
    const before = received.length;
    await nango.triggerSync('demo', ['items'], 'c1');
    const second = await eventually(
      async () => received.slice(before).find((r) => r.json.type === 'sync'),
      20_000,
      'the second sync webhook',
    );
    expect(verified(second)).toBe(true);
    const incremental = shape(SyncSuccess, second.json);
    expect(incremental).toMatchObject({
      syncType: 'INCREMENTAL',
      responseResults: { added: 0, updated: 1, deleted: 0 },
    });
    // Nango's documented use: fetch the records this run changed.
    const changed = await nango.listRecords({
      providerConfigKey: incremental.providerConfigKey,
      connectionId: incremental.connectionId,
      model: incremental.model,
      modifiedAfter: incremental.modifiedAfter,
    });
    expect(changed.records.map((r) => r.id)).toEqual(['item-4']);
  });

  it('sync failure: Nango’s error body with startedAt and failedAt', async () => {
    demo.failNext((url) => url.pathname === '/items', 400);
    const before = received.length;
    await nango.triggerSync('demo', ['items'], 'c1');
    const failed = await eventually(
      async () => received.slice(before).find((r) => r.json.type === 'sync' && r.json.success === false),
      20_000,
      'the failure webhook',
    );
    expect(verified(failed)).toBe(true);
    const body = shape(SyncError, failed.json);
    expect(body).toMatchObject({
      from: 'nango',
      syncName: 'items',
      model: 'Item',
      error: { type: expect.any(String) },
    });
    expect(Date.parse(body.failedAt)).toBeGreaterThanOrEqual(Date.parse(body.startedAt));
  });

  it('async action: the webhook points at the result', async () => {
    const queued = await nango.triggerActionAsync('demo', 'c1', 'get-item', { id: 'item-2' });
    const hook = await find((b) => b.type === 'async_action', 'the async action webhook');
    expect(verified(hook)).toBe(true);
    const body = shape(AsyncAction, hook.json);
    expect(body).toEqual(
      expect.objectContaining({ from: 'nango', connectionId: 'c1', providerConfigKey: 'demo', payload: queued }),
    );
    expect(await nango.getAsyncActionResult(body.payload)).toEqual({ id: 'item-2', name: 'Item 2', size: 20 });
  });

  it('signatures: the current helper, the deprecated one, Weft-Signature; wrong key or tampered body fail', async () => {
    expect(received.length).toBeGreaterThan(3);
    const legacy = new Nango({ secretKey: signingKey, host: h.url });
    const wrong = new Nango({ apiKey: h.secretKey, host: h.url, webhookSigningKey: 'whsec_wrong' });
    const apiKeyOnly = new Nango({ apiKey: h.secretKey, host: h.url });
    for (const r of received) {
      expect(verified(r)).toBe(true);
      expect(legacy.verifyIncomingWebhookRequest(r.body, r.headers as Record<string, unknown>)).toBe(true);
      expect(nango.verifyWebhookSignature(String(r.headers['x-nango-signature']), JSON.parse(r.body))).toBe(true);
      expect(r.headers['weft-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(wrong.verifyIncomingWebhookRequest(r.body, r.headers as Record<string, unknown>)).toBe(false);
      expect(apiKeyOnly.verifyIncomingWebhookRequest(r.body, r.headers as Record<string, unknown>)).toBe(false);
      expect(nango.verifyIncomingWebhookRequest(`${r.body} `, r.headers as Record<string, unknown>)).toBe(false);
    }
  });
});
