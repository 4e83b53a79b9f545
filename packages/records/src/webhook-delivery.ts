import { outboundDispatcher, outboundRefusalOf, type SecretBox } from '@weft/core';
import type { Pool, PoolClient } from '@weft/db';
import { request } from 'undici';
import { WEBHOOK_CHANNEL } from './webhook-outbox.js';
import { signWebhook } from './webhook-signature.js';

export interface DeliveryPolicy {
  /** First retry delay; each further attempt doubles it (with jitter). @default 10_000 */
  baseDelayMs: number;
  /** Cap of one delay. @default 3_600_000 (1 h) */
  maxDelayMs: number;
  /** Attempts before a delivery is `exhausted` (defaults span ~12 h). @default 20 */
  maxAttempts: number;
  /** Consecutive failures of one URL that open its circuit. @default 5 */
  circuitThreshold: number;
  /** How long an open circuit holds deliveries to that URL (no attempts are spent meanwhile). @default 60_000 */
  circuitCooldownMs: number;
  /** Per-request timeout. @default 10_000 */
  timeoutMs: number;
  /** A claimed delivery whose worker died is retried after this. @default 60_000 */
  leaseMs: number;
  /**
   * Poll interval when no NOTIFY arrives (due retries). 0 = no poll of its own: a fleet sweeps due
   * retries with the scheduler's maintenance job instead (runOnce), and NOTIFY still delivers new
   * events at once. @default 1_000
   */
  pollMs: number;
  /** Deliveries claimed per round. @default 20 */
  batchSize: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 20,
  circuitThreshold: 5,
  circuitCooldownMs: 60_000,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  pollMs: 1_000,
  batchSize: 20,
};

/** Delay before attempt `attempt + 1`: exponential, capped, with ±25 % jitter so retries spread. */
export function retryDelayMs(attempt: number, policy: Pick<DeliveryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  const raw = Math.min(policy.baseDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

export interface WebhookDeliveryWorker {
  /** Listen for new events and poll for due retries until stop(). */
  start(): Promise<void>;
  /** One round: claim due deliveries, POST them, record outcomes. Returns how many were attempted. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

interface Claimed {
  id: number;
  event_id: string;
  url: string;
  attempts: number;
  environment_id: number;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

const CLAIM = `
WITH due AS (
  SELECT d.id FROM webhook_deliveries d
  LEFT JOIN webhook_circuits c ON c.url = d.url
  WHERE d.state = 'pending' AND d.next_attempt_at <= now()
    AND (c.open_until IS NULL OR c.open_until <= now())
  ORDER BY d.next_attempt_at
  LIMIT $1
  FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000),
    last_attempt_at = now()
FROM due, webhook_events e
WHERE d.id = due.id AND e.id = d.event_id
RETURNING d.id, d.event_id, d.url, d.attempts, d.environment_id, e.type, e.payload, e.created_at`;

const SECRETS = `
SELECT secret_enc, CASE WHEN previous_secret_expires_at > now() THEN previous_secret_enc END AS previous_enc
FROM webhook_settings WHERE environment_id = $1`;

/** The exact body POSTed for an event (stable across attempts, so receivers can dedupe by eventId). */
export function webhookBody(event: {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}): string {
  return JSON.stringify({ ...event.payload, type: event.type, eventId: event.id, createdAt: event.createdAt });
}

export function createWebhookDeliveryWorker(options: {
  pool: Pool;
  box: SecretBox;
  policy?: Partial<DeliveryPolicy>;
  onError?: (error: unknown) => void;
}): WebhookDeliveryWorker {
  const { pool, box } = options;
  const policy = { ...defaultDeliveryPolicy, ...options.policy };
  let listener: PoolClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wakeAgain = false;
  let stopped = true;

  async function secretsOf(environmentId: number): Promise<string[]> {
    const { rows } = await pool.query<{ secret_enc: string; previous_enc: string | null }>(SECRETS, [environmentId]);
    const row = rows[0];
    if (row === undefined) return [];
    return row.previous_enc === null
      ? [box.open(row.secret_enc)]
      : [box.open(row.secret_enc), box.open(row.previous_enc)];
  }

  async function attempt(delivery: Claimed): Promise<void> {
    const body = webhookBody({
      id: delivery.event_id,
      type: delivery.type,
      payload: delivery.payload,
      createdAt: delivery.created_at,
    });
    const secrets = await secretsOf(delivery.environment_id);
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      if (secrets.length === 0) throw new Error('webhook settings were deleted');
      const response = await request(delivery.url, {
        dispatcher: outboundDispatcher(),
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Weft-Webhooks/1',
          'weft-event-id': delivery.event_id,
          'weft-delivery-attempt': String(delivery.attempts),
          ...signWebhook(body, secrets, Date.now() / 1000),
        },
        headersTimeout: policy.timeoutMs,
        bodyTimeout: policy.timeoutMs,
      });
      status = response.statusCode;
      await response.body.dump();
      if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
    } catch (cause) {
      const refusal = outboundRefusalOf(cause);
      error = refusal ? `${refusal.code}: ${refusal.message}` : (cause as Error).message || String(cause);
    }
    const durationMs = Math.round(performance.now() - started);
    const ok = error === null;
    const exhausted = !ok && delivery.attempts >= policy.maxAttempts;
    await pool.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [delivery.id, delivery.attempts, status, error, durationMs],
    );
    await pool.query(
      `UPDATE webhook_deliveries SET state = $2, last_status = $3, last_error = $4,
         delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
         next_attempt_at = now() + make_interval(secs => $5::double precision / 1000)
       WHERE id = $1`,
      [
        delivery.id,
        ok ? 'delivered' : exhausted ? 'exhausted' : 'pending',
        status,
        error,
        ok || exhausted ? 0 : retryDelayMs(delivery.attempts, policy),
      ],
    );
    await pool.query(
      ok
        ? 'INSERT INTO webhook_circuits (url) VALUES ($1) ON CONFLICT (url) DO UPDATE SET consecutive_failures = 0, open_until = NULL'
        : `INSERT INTO webhook_circuits (url, consecutive_failures) VALUES ($1, 1)
           ON CONFLICT (url) DO UPDATE SET consecutive_failures = webhook_circuits.consecutive_failures + 1,
             open_until = CASE WHEN webhook_circuits.consecutive_failures + 1 >= $2
                          THEN now() + make_interval(secs => $3::double precision / 1000) ELSE webhook_circuits.open_until END`,
      ok ? [delivery.url] : [delivery.url, policy.circuitThreshold, policy.circuitCooldownMs],
    );
  }

  async function runOnce(): Promise<number> {
    const { rows } = await pool.query<Claimed>(CLAIM, [policy.batchSize, policy.leaseMs]);
    await Promise.all(rows.map((row) => attempt(row)));
    return rows.length;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(wake, delay);
    timer.unref?.();
  }

  function wake(): void {
    if (stopped) return;
    if (running !== undefined) {
      wakeAgain = true;
      return;
    }
    running = (async () => {
      try {
        // Drain: keep going while full batches come back or a NOTIFY arrived meanwhile.
        for (;;) {
          wakeAgain = false;
          const claimed = await runOnce();
          if (stopped || (claimed < policy.batchSize && !wakeAgain)) break;
        }
      } catch (error) {
        options.onError?.(error);
      } finally {
        running = undefined;
        if (policy.pollMs > 0) schedule(policy.pollMs);
      }
    })();
  }

  return {
    runOnce,
    async start() {
      stopped = false;
      listener = await pool.connect();
      listener.on('notification', () => wake());
      await listener.query(`LISTEN ${WEBHOOK_CHANNEL}`);
      wake();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (listener !== undefined) {
        await listener.query(`UNLISTEN ${WEBHOOK_CHANNEL}`).catch(() => {});
        listener.release();
        listener = undefined;
      }
    },
  };
}
