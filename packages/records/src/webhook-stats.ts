import type { Pool } from '@weft/db';
import { WEBHOOK_STATS } from './sql.js';

/** A dashboard time window: `buckets` consecutive buckets of `bucketSeconds` starting at `since`. */
export interface WebhookStatsWindow {
  environmentId: number;
  /** Integration unique key; null = every integration of the environment. */
  integration: string | null;
  since: Date;
  bucketSeconds: number;
  buckets: number;
}

export interface WebhookBucket {
  delivered: number;
  /** retries exhausted */
  failed: number;
  /** still being retried */
  pending: number;
}

export interface WebhookStats {
  /** Exactly `window.buckets` entries, oldest first. */
  buckets: WebhookBucket[];
  total: WebhookBucket;
}

/** Webhook deliveries of a window for the dashboard overview, aggregated in Postgres. */
export async function webhookStats(pool: Pool, window: WebhookStatsWindow): Promise<WebhookStats> {
  const { rows } = await pool.query<WebhookBucket & { bucket: number }>(WEBHOOK_STATS, [
    window.environmentId,
    window.integration,
    window.since.toISOString(),
    window.bucketSeconds,
  ]);
  const zero = (): WebhookBucket => ({ delivered: 0, failed: 0, pending: 0 });
  const buckets = Array.from({ length: window.buckets }, zero);
  const total = zero();
  for (const { bucket, delivered, failed, pending } of rows) {
    const index = bucket;
    if (index < 0 || index >= buckets.length) continue;
    buckets[index] = { delivered, failed, pending };
    total.delivered += delivered;
    total.failed += failed;
    total.pending += pending;
  }
  return { buckets, total };
}
