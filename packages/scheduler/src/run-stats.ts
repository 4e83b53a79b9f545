import type { Pool } from '@weft/db';
import { RECORD_CHANGE_STATS, RUN_STATS } from './sql.js';

/** A dashboard time window: `buckets` consecutive buckets of `bucketSeconds` starting at `since`. */
export interface StatsWindow {
  environmentId: number;
  /** Integration unique key; null = every integration of the environment. */
  integration: string | null;
  /** Start of the first bucket (aligned to the bucket size by the caller). */
  since: Date;
  bucketSeconds: number;
  buckets: number;
}

/** Runs of one bucket (or of the whole window) by outcome, with duration percentiles. */
export interface RunBucket {
  success: number;
  failed: number;
  /** cancelled or interrupted */
  cancelled: number;
  /** queued or running now */
  active: number;
  /** null when no run of the bucket has ended */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface RunStats {
  /** Exactly `window.buckets` entries, oldest first; empty buckets are zeros. */
  buckets: RunBucket[];
  total: RunBucket;
  /** Records added/updated/deleted per model by the window's runs. */
  records: { model: string; added: number; updated: number; deleted: number }[];
}

interface Row {
  bucket: string | null;
  success: number;
  failed: number;
  cancelled: number;
  active: number;
  p50_ms: number | null;
  p95_ms: number | null;
  total: boolean;
}

const empty = (): RunBucket => ({ success: 0, failed: 0, cancelled: 0, active: 0, p50Ms: null, p95Ms: null });

const fromRow = (r: Row): RunBucket => ({
  success: r.success,
  failed: r.failed,
  cancelled: r.cancelled,
  active: r.active,
  p50Ms: r.p50_ms === null ? null : Math.round(r.p50_ms),
  p95Ms: r.p95_ms === null ? null : Math.round(r.p95_ms),
});

/**
 * Sync runs of a window for the dashboard overview, aggregated in Postgres (one index-only range
 * scan, so the cost follows the window's runs, not the table's).
 */
export async function runStats(pool: Pool, window: StatsWindow): Promise<RunStats> {
  const params = [window.environmentId, window.integration, window.since.toISOString(), window.bucketSeconds];
  const [runs, records] = await Promise.all([
    pool.query<Row>(RUN_STATS, params),
    pool.query<{ model: string; added: string; updated: string; deleted: string }>(
      RECORD_CHANGE_STATS,
      params.slice(0, 3),
    ),
  ]);
  const buckets = Array.from({ length: window.buckets }, empty);
  let total = empty();
  const start = window.since.getTime() / 1000;
  for (const row of runs.rows) {
    if (row.total) total = fromRow(row);
    else {
      const index = Math.round((Number(row.bucket) - start) / window.bucketSeconds);
      if (index >= 0 && index < buckets.length) buckets[index] = fromRow(row);
    }
  }
  return {
    buckets,
    total,
    records: records.rows.map((r) => ({
      model: r.model,
      added: Number(r.added),
      updated: Number(r.updated),
      deleted: Number(r.deleted),
    })),
  };
}
