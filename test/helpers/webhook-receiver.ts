import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { expect } from 'vitest';
import { json, Upstream } from '../proxy/upstream.js';
import type { ApiHarness } from './api-harness.js';

/** A loopback endpoint set as the environment's webhook URL, with a delivery worker sending to it. */
export interface WebhookReceiver {
  /** Every delivery received, in order (`seen[i].body` is the webhook's JSON text). */
  readonly receiver: Upstream;
  /** Each delivered webhook body, parsed. */
  bodies(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * Receive the harness environment's webhooks: a receiver answering 200, `PUT /webhooks/settings`
 * pointing at it, and a delivery worker that retries fast (the tests' schedule, not production's).
 */
export async function receiveWebhooks(h: ApiHarness): Promise<WebhookReceiver> {
  const receiver = await new Upstream().start();
  receiver.reset((_req, res) => json(res, 200, {}));
  const settings = await h.api('/webhooks/settings', { method: 'PUT', json: { primary_url: receiver.url } });
  expect(settings.status, await settings.clone().text()).toBe(200);
  const delivery: WebhookDeliveryWorker = createWebhookDeliveryWorker({
    pool: h.db.pool,
    box: h.box,
    policy: { baseDelayMs: 40, maxDelayMs: 200, pollMs: 25, circuitThreshold: 100, timeoutMs: 5_000 },
  });
  await delivery.start();
  return {
    receiver,
    bodies: () => receiver.seen.map((r) => JSON.parse(r.body) as Record<string, unknown>),
    async stop() {
      await delivery.stop();
      await receiver.stop();
    },
  };
}
