import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callModeEndpoint, callTokenEndpoint, TokenEndpointError } from '@weft/auth';
import { type OutboundPolicy, setOutboundPolicy } from '@weft/core';
import { createWebhookDeliveryWorker, enqueueWebhookEvent } from '@weft/records';
import { createAlerter } from '@weft/scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';

/**
 * Weft's one outbound policy (core/src/outbound-policy.ts) covers every outbound request, not
 * only the proxy (test/proxy/proxy.test.ts has the proxy's own cases): with a strict policy, a
 * loopback target is refused with WEFT_OUTBOUND_BLOCKED_ADDRESS and never receives a byte;
 * allow-listing it (as on-premise deployments and these tests do) lets the same call through.
 */

let h: ApiHarness;
let target: Server;
let targetPort = 0;
const hits: string[] = [];
const STRICT: OutboundPolicy = {};

beforeAll(async () => {
  h = await startApi();
  target = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: 'tok', token_type: 'bearer', expires_in: 3600 }));
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  targetPort = (target.address() as AddressInfo).port;
});
afterEach(() => {
  // Back to what every test file starts with (test/helpers/outbound-policy.ts).
  setOutboundPolicy({ allowPrivateNetwork: true });
});
afterAll(async () => {
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
  await h.close();
});

/** Poll an observable condition (bounded); never a fixed sleep. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('token endpoints (OAuth2 exchange and refresh)', () => {
  it('refuses a loopback token URL, by IP literal and by a name resolving to loopback', async () => {
    setOutboundPolicy(STRICT);
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const error = await callTokenEndpoint({
        url: `http://${host}:${targetPort}/token`,
        params: { grant_type: 'client_credentials' },
        clientId: 'id',
        clientSecret: 'secret',
      }).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(TokenEndpointError);
      expect(error, host).toMatchObject({ error: 'WEFT_OUTBOUND_BLOCKED_ADDRESS', status: 0 });
      expect((error as Error).message).toMatch(/refused: .* is a loopback address/);
    }
    expect(hits).toEqual([]);
  });

  it('lets the same call through once the host is allow-listed', async () => {
    setOutboundPolicy({ allowedHosts: ['127.0.0.1'] });
    const token = await callTokenEndpoint({
      url: `http://127.0.0.1:${targetPort}/token`,
      params: { grant_type: 'client_credentials' },
    });
    expect(token.access_token).toBe('tok');
    expect(hits).toEqual(['/token']);
    hits.length = 0;
  });
});

describe('auth-mode endpoints (TWO_STEP, JWT, SIGNATURE, … token and login requests)', () => {
  it('refuses a private target with the stable code', async () => {
    setOutboundPolicy(STRICT);
    const error = await callModeEndpoint({ url: `http://127.0.0.1:${targetPort}/login`, body: '{}' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ error: 'WEFT_OUTBOUND_BLOCKED_ADDRESS', status: 0 });
    expect(hits).toEqual([]);
  });
});

describe('webhook delivery', () => {
  it('records the refusal with its code instead of posting to a private receiver', async () => {
    const url = `http://127.0.0.1:${targetPort}/hooks`;
    expect((await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: url } })).status).toBe(200);
    setOutboundPolicy(STRICT);
    const worker = createWebhookDeliveryWorker({
      pool: h.db.pool,
      box: h.box,
      policy: { baseDelayMs: 1_000, maxDelayMs: 1_000, pollMs: 25, circuitThreshold: 100, timeoutMs: 2_000 },
    });
    const eventId = await enqueueWebhookEvent(h.db.pool, {
      environmentId: h.environmentId,
      type: 'sync',
      payload: { syncName: 'refused' },
    });
    await worker.start();
    try {
      const delivery = await until(async () => {
        const list = await h.get(`/webhooks/deliveries?event_id=${eventId}`);
        const first = (list.deliveries as Body[])[0];
        return first?.last_error ? first : undefined;
      });
      expect(delivery.last_error).toMatch(/^WEFT_OUTBOUND_BLOCKED_ADDRESS: Outbound request to 127\.0\.0\.1 refused/);
    } finally {
      await worker.stop();
    }
    expect(hits).toEqual([]);
  });
});

describe('alerts', () => {
  it('refuses a private alert webhook and reports the code', async () => {
    // An incident to alert about: a client secret that expires tomorrow.
    await h.auth.createIntegration(h.environmentId, {
      uniqueKey: 'expiring',
      provider: 'github',
      clientId: 'id',
      clientSecret: 'secret',
      clientSecretExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    setOutboundPolicy(STRICT);
    const errors: unknown[] = [];
    const alerter = createAlerter({
      pool: h.db.pool,
      webhookUrl: `http://127.0.0.1:${targetPort}/slack`,
      publicUrl: h.url,
      onError: (error) => errors.push(error),
    });
    expect(await alerter.runOnce()).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ code: 'WEFT_OUTBOUND_BLOCKED_ADDRESS' });
    expect(hits).toEqual([]);

    // Allowed again: the incident (forgotten when not notified) is sent on the next scan.
    setOutboundPolicy({ allowedHosts: ['127.0.0.1'] });
    expect(await alerter.runOnce()).toBeGreaterThan(0);
    expect(hits).toContain('/slack');
  });
});
