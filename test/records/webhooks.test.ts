import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTransaction } from '@weft/db';
import {
  createWebhookDeliveryWorker,
  enqueueSyncEvent,
  enqueueWebhookEvent,
  verifyWebhook,
  type WebhookDeliveryWorker,
} from '@weft/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on loopback that can be taken down and brought back on the same port. */
class Receiver {
  received: Received[] = [];
  status = 200;
  private server: Server | undefined;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  port = 0;

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => {
        res.statusCode = this.status;
        res.end('ok');
        if (this.status < 300) this.received.push({ headers: req.headers, body });
        this.waiters = this.waiters.filter((w) => {
          if (this.received.length < w.count) return true;
          w.resolve();
          return false;
        });
      });
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    this.server = undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Resolves once `count` successful deliveries arrived. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** Poll an observable condition (bounded); never a fixed sleep. */
async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let h: ApiHarness;
let worker: WebhookDeliveryWorker;
const receiver = new Receiver();

beforeAll(async () => {
  h = await startApi();
  await receiver.up();
  worker = createWebhookDeliveryWorker({
    pool: h.db.pool,
    box: h.box,
    policy: { baseDelayMs: 40, maxDelayMs: 200, pollMs: 25, circuitThreshold: 100, timeoutMs: 2_000 },
  });
  await worker.start();
});
afterAll(async () => {
  await worker.stop();
  await receiver.down();
  await h.close();
});

async function settings() {
  return (await h.get('/webhooks/settings')) as { secret: string; primary_url: string | null };
}

describe('webhooks', () => {
  it('configures a URL and shows a signing secret', async () => {
    const put = await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: receiver.url } });
    expect(put.status).toBe(200);
    const body = await settings();
    expect(body.primary_url).toBe(receiver.url);
    expect(body.secret).toMatch(/^whsec_/);
    const bad = await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: 'ftp://x' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEFT_API_INVALID_REQUEST');
  });

  it('receiver down then up: delivered once, with the same event id, and the signature verifies', async () => {
    const { secret } = await settings();
    await receiver.down();
    const before = receiver.received.length;
    const eventId = await withTransaction(h.db.pool, (client) =>
      enqueueWebhookEvent(client, { environmentId: h.environmentId, type: 'sync', payload: { syncName: 'down-up' } }),
    );
    // Observe failed attempts in the delivery log, then bring the receiver back.
    await until(async () => {
      const list = await h.get(`/webhooks/deliveries?event_id=${eventId}`);
      return list.deliveries[0]?.attempts >= 2 && list.deliveries[0].last_error !== null;
    });
    await receiver.up();
    await receiver.waitFor(before + 1);
    const delivery = await until(async () => {
      const list = await h.get(`/webhooks/deliveries?event_id=${eventId}`);
      return list.deliveries[0]?.state === 'delivered' ? list.deliveries[0] : undefined;
    });
    expect(delivery.log.length).toBe(delivery.attempts);
    expect(delivery.log.at(-1)).toMatchObject({ status: 200, error: null });
    expect(await worker.runOnce()).toBe(0); // nothing left to send
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(1);
    const [only] = got;
    expect(only?.headers['weft-event-id']).toBe(eventId);
    expect(JSON.parse(only?.body ?? '{}')).toMatchObject({ type: 'sync', eventId, syncName: 'down-up' });
    expect(verifyWebhook(only?.body ?? '', only?.headers ?? {}, secret)).toBe(true);
  });

  it('verification fails for a tampered body, a stale timestamp, or another secret', async () => {
    const { secret } = await settings();
    const before = receiver.received.length;
    await enqueueWebhookEvent(h.db.pool, { environmentId: h.environmentId, type: 'sync', payload: { n: 1 } });
    await receiver.waitFor(before + 1);
    const got = receiver.received[before];
    if (got === undefined) throw new Error('no delivery');
    expect(verifyWebhook(got.body, got.headers, secret)).toBe(true);
    expect(verifyWebhook(got.body.replace('"n":1', '"n":2'), got.headers, secret)).toBe(false);
    expect(verifyWebhook(got.body, got.headers, 'whsec_other')).toBe(false);
    expect(verifyWebhook(got.body, got.headers, secret, { nowSeconds: Date.now() / 1000 + 3600 })).toBe(false);
    expect(verifyWebhook(got.body, {}, secret)).toBe(false);
    // Nango-compatible header: HMAC-SHA256 of the body with the secret.
    const { createHmac } = await import('node:crypto');
    expect(got.headers['x-nango-hmac-sha256']).toBe(createHmac('sha256', secret).update(got.body).digest('hex'));
  });

  it('after a secret rotation both secrets verify during the grace period', async () => {
    const old = (await settings()).secret;
    const rotated = await h.get('/webhooks/settings/rotate-secret', { method: 'POST', json: {} });
    expect(rotated.secret).not.toBe(old);
    const before = receiver.received.length;
    await enqueueWebhookEvent(h.db.pool, { environmentId: h.environmentId, type: 'sync', payload: {} });
    await receiver.waitFor(before + 1);
    const got = receiver.received[before];
    expect(verifyWebhook(got?.body ?? '', got?.headers ?? {}, rotated.secret)).toBe(true);
    expect(verifyWebhook(got?.body ?? '', got?.headers ?? {}, old)).toBe(true);
  });

  it('replays a delivery with the same event id; sync events skip runs that changed nothing', async () => {
    const empty = await enqueueSyncEvent(h.db.pool, {
      environmentId: h.environmentId,
      connectionId: 'c',
      providerConfigKey: 'p',
      syncName: 's',
      syncType: 'INCREMENTAL',
      runId: 'run-empty',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      success: true,
      counts: { File: { added: 0, updated: 0, deleted: 0 } },
    });
    expect(empty).toBeNull();
    const before = receiver.received.length;
    const input = {
      environmentId: h.environmentId,
      connectionId: 'c',
      providerConfigKey: 'p',
      syncName: 's',
      syncType: 'INCREMENTAL' as const,
      runId: 'run-1',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      success: true,
      counts: { File: { added: 2, updated: 1, deleted: 0 } },
    };
    const eventId = await enqueueSyncEvent(h.db.pool, input);
    expect(await enqueueSyncEvent(h.db.pool, input)).toBe(eventId); // idempotent per run
    await receiver.waitFor(before + 1);
    expect(JSON.parse(receiver.received[before]?.body ?? '{}')).toMatchObject({
      type: 'sync',
      model: 'File',
      responseResults: { added: 2, updated: 1, deleted: 0 },
      models: { File: { added: 2, updated: 1, deleted: 0 } },
    });
    const list = await h.get(`/webhooks/deliveries?event_id=${eventId}`);
    const replay = await h.api(`/webhooks/deliveries/${list.deliveries[0].id}/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    await receiver.waitFor(before + 2);
    expect(receiver.received[before + 1]?.headers['weft-event-id']).toBe(eventId);
    expect(receiver.received.length).toBe(before + 2);
    const missing = await h.api('/webhooks/deliveries/999999/replay', { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('WEFT_WEBHOOK_DELIVERY_NOT_FOUND');
  });
});
