import type { Pool } from '@weft/db';
import { PROXY_STATS } from './sql/proxy-requests.js';

/** A dashboard time window: `buckets` consecutive buckets of `bucketSeconds` starting at `since`. */
export interface ProxyStatsWindow {
  environmentId: number;
  /** Integration unique key; null = every integration of the environment. */
  integration: string | null;
  since: Date;
  bucketSeconds: number;
  buckets: number;
}

export interface ProxyBucket {
  calls: number;
  /** transport failures and 4xx/5xx answers (429s included) */
  errors: number;
  /** 429 Too Many Requests answers: the provider is throttling */
  throttled: number;
}

export interface ProxyStats {
  /** Exactly `window.buckets` entries, oldest first. */
  buckets: ProxyBucket[];
  total: ProxyBucket;
}

/** Proxy calls of a window for the dashboard overview, aggregated in Postgres. */
export async function proxyStats(pool: Pool, window: ProxyStatsWindow): Promise<ProxyStats> {
  const { rows } = await pool.query<ProxyBucket & { bucket: number }>(PROXY_STATS, [
    window.environmentId,
    window.integration,
    window.since.toISOString(),
    window.bucketSeconds,
  ]);
  const zero = (): ProxyBucket => ({ calls: 0, errors: 0, throttled: 0 });
  const buckets = Array.from({ length: window.buckets }, zero);
  const total = zero();
  for (const { bucket, calls, errors, throttled } of rows) {
    const index = bucket;
    if (index < 0 || index >= buckets.length) continue;
    buckets[index] = { calls, errors, throttled };
    total.calls += calls;
    total.errors += errors;
    total.throttled += throttled;
  }
  return { buckets, total };
}
