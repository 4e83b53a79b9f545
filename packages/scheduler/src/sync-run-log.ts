import { type OperationEntry, type OperationQuery, type Pool, queryOperations } from '@weft/db';
import { PRUNE_SYNC_RUNS, SYNC_RUN_OPERATIONS } from './sql/sync-runs-read.js';

/** Sync runs as operation-log lines. */
export function listSyncRunOperations(pool: Pool, q: OperationQuery): Promise<OperationEntry[]> {
  return queryOperations(pool, SYNC_RUN_OPERATIONS, q);
}

/**
 * Deletes one slice of finished sync runs that ended before `cutoff` (the newest successful run of
 * each sync stays: it is the next run's lastSyncDate); returns how many.
 */
export async function pruneSyncRunsSlice(pool: Pool, cutoff: Date, slice: number): Promise<number> {
  const { rowCount } = await pool.query(PRUNE_SYNC_RUNS, [cutoff.toISOString(), slice]);
  return rowCount ?? 0;
}
