import type { Pool } from '@weft/db';
import { HOUR_MS, rawRanges, rolledUpHours } from './run-rollups.js';
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
  /** Median run duration (start → end) within ±5 %; null when no run of the bucket has ended. */
  p50Ms: number | null;
  /** 95th percentile run duration within ±5 %. */
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
  bucket: number;
  status: string;
  /** floor(ln(ms) / ln(1.1)); null for runs that have not ended */
  class: number | null;
  runs: number;
}

const GROWTH = 1.1;

/** Counts per outcome plus a duration histogram (class → runs). */
interface Tally {
  success: number;
  failed: number;
  cancelled: number;
  active: number;
  durations: Map<number, number>;
}

const tally = (): Tally => ({ success: 0, failed: 0, cancelled: 0, active: 0, durations: new Map() });

function add(t: Tally, row: Row): void {
  if (row.status === 'success') t.success += row.runs;
  else if (row.status === 'failed') t.failed += row.runs;
  else if (row.status === 'cancelled' || row.status === 'interrupted') t.cancelled += row.runs;
  else t.active += row.runs;
  if (row.class !== null) t.durations.set(row.class, (t.durations.get(row.class) ?? 0) + row.runs);
}

/** Nearest-rank percentile of a histogram, as the geometric middle of its class. */
function percentile(durations: Map<number, number>, p: number): number | null {
  const classes = [...durations.entries()].sort((a, b) => a[0] - b[0]);
  const total = classes.reduce((n, [, runs]) => n + runs, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [cls, runs] of classes) {
    seen += runs;
    if (seen >= rank) return Math.round(GROWTH ** (cls + 0.5));
  }
  return null;
}

const toBucket = (t: Tally): RunBucket => ({
  success: t.success,
  failed: t.failed,
  cancelled: t.cancelled,
  active: t.active,
  p50Ms: percentile(t.durations, 0.5),
  p95Ms: percentile(t.durations, 0.95),
});

export interface RunStatsOptions {
  /** Read closed hours from the hourly rollups (default); false = every run raw (tests compare). */
  rollups?: boolean;
}

/**
 * Sync runs of a window for the dashboard overview, aggregated in Postgres (index-only range
 * scans and hash aggregates, so the cost follows the window's runs, not the table's). With
 * whole-hour buckets (24 h, 7 d) the closed hours come from hourly rollups, filled here on first
 * use (run-rollups.ts), and only the rest (the open hours) from the runs themselves; the counts
 * merge exactly (outcomes and duration classes add up), so the answer is the raw one.
 */
export async function runStats(pool: Pool, window: StatsWindow, options: RunStatsOptions = {}): Promise<RunStats> {
  const hourly = window.bucketSeconds % 3600 === 0 && window.since.getTime() % HOUR_MS === 0;
  const hours =
    (options.rollups ?? true) && hourly ? await rolledUpHours(pool, window.environmentId, window.since) : [];
  const ranges = rawRanges(window.since, hours);
  const hourList = hours.map((ms) => new Date(ms).toISOString());
  const params = [window.environmentId, window.integration, window.since.toISOString()];
  const [runs, records] = await Promise.all([
    pool.query<Row>(RUN_STATS, [...params, window.bucketSeconds, ranges.from, ranges.to, hourList]),
    pool.query<{ model: string; added: string; updated: string; deleted: string }>(RECORD_CHANGE_STATS, [
      ...params,
      ranges.from,
      ranges.to,
      hourList,
    ]),
  ]);
  const tallies = Array.from({ length: window.buckets }, tally);
  const total = tally();
  for (const row of runs.rows) {
    const index = row.bucket;
    const bucket = tallies[index];
    if (bucket === undefined) continue;
    add(bucket, row);
    add(total, row);
  }
  return {
    buckets: tallies.map(toBucket),
    total: toBucket(total),
    records: records.rows.map((r) => ({
      model: r.model,
      added: Number(r.added),
      updated: Number(r.updated),
      deleted: Number(r.deleted),
    })),
  };
}
