import { type Pool, withTransaction } from '@weft/db';
import { PRUNE_RUN_ROLLUPS, ROLLABLE_HOURS, ROLLED_UP_HOURS, ROLLUP_RUN_HOURS, TRY_ROLLUP_LOCK } from './sql.js';

export const HOUR_MS = 3_600_000;

/**
 * How long after an hour ends it may be rolled up. Runs are bucketed by `created_at`, which the
 * database sets (its clock, never a worker's) when the run is inserted and never changes, so an
 * hour's set of runs is final once no transaction that began within it can still commit a new
 * run; the scheduler inserts runs in short single statements, so ten minutes is far beyond that.
 * A run's outcome, duration and counts do change until it ends, so an hour holding a queued or
 * running run is not rolled up at all (read raw until that run ends: a late finisher is counted
 * with its final outcome, never lost or counted twice); an ended run never changes again (every
 * transition in sql.ts starts from queued or running). Bucketing by `ended_at` instead would not
 * fit the overview, which places runs by when they were created.
 */
export const ROLLUP_SAFETY_MARGIN_SECONDS = 600;

/**
 * Rolls up the environment's closed hours from `since` (hour-aligned) not rolled up yet, then
 * returns the hours (epoch ms) whose counts the rollups hold. Idempotent and safe under concurrent callers:
 * one filler per environment at a time (a transaction-scoped advisory lock that others do not
 * wait for: they read those hours raw meanwhile), and each hour's marker is claimed with
 * ON CONFLICT DO NOTHING in the statement that writes its counts.
 *
 * A marker is committed with its counts and never changes (retention only flags hours beyond the
 * log's retention as pruned), so a caller that reads an hour from the rollups below sees all of
 * its counts; an hour rolled up by someone else after this read is simply read raw this time.
 */
export async function rolledUpHours(pool: Pool, environmentId: number, since: Date): Promise<number[]> {
  const rollable = await pool.query<{ ms: number }>(ROLLABLE_HOURS, [
    environmentId,
    since.toISOString(),
    ROLLUP_SAFETY_MARGIN_SECONDS,
  ]);
  const todo = rollable.rows.map((r) => r.ms);
  if (todo.length > 0) {
    await withTransaction(pool, async (client) => {
      const lock = await client.query<{ locked: boolean }>(TRY_ROLLUP_LOCK, [environmentId]);
      if (lock.rows[0]?.locked !== true) return;
      await client.query(ROLLUP_RUN_HOURS, [
        environmentId,
        todo.map((ms) => new Date(ms).toISOString()),
        new Date(Math.min(...todo)).toISOString(),
        new Date(Math.max(...todo) + HOUR_MS).toISOString(),
      ]);
    });
  }
  const { rows } = await pool.query<{ ms: number }>(ROLLED_UP_HOURS, [environmentId, since.toISOString()]);
  return rows.map((r) => r.ms);
}

/**
 * The parts of the window from `since` not covered by the rolled-up `hours` (epoch ms, ascending), as
 * [from, to) ranges for the raw query; the last one is open-ended.
 */
export function rawRanges(since: Date, hours: readonly number[]): { from: string[]; to: string[] } {
  const from: string[] = [];
  const to: string[] = [];
  let cursor = since.getTime();
  for (const start of hours) {
    if (start > cursor) {
      from.push(new Date(cursor).toISOString());
      to.push(new Date(start).toISOString());
    }
    cursor = Math.max(cursor, start + HOUR_MS);
  }
  from.push(new Date(cursor).toISOString());
  to.push('infinity');
  return { from, to };
}

/**
 * Log retention for the rollups (called with the cutoff that pruned the runs): hours that began
 * before `cutoff` may have lost runs, so their counts are dropped and they are read from the
 * surviving rows from then on — the overview never shows more than the log still holds. Returns
 * how many hours were flagged.
 */
export async function pruneRunRollups(pool: Pool, cutoff: Date): Promise<number> {
  const { rows } = await pool.query<{ hours: number }>(PRUNE_RUN_ROLLUPS, [cutoff.toISOString()]);
  return rows[0]?.hours ?? 0;
}
