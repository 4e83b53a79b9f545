import { type OperationEntry, type OperationQuery, type Pool, queryOperations } from '@weft/db';
import { ON_EVENT_RUN_OPERATIONS, PRUNE_ON_EVENT_RUNS } from './sql.js';

/** Event-script runs as operation-log lines. */
export function listOnEventRunOperations(pool: Pool, q: OperationQuery): Promise<OperationEntry[]> {
  return queryOperations(pool, ON_EVENT_RUN_OPERATIONS, q);
}

/** Deletes one slice of event-script runs created before `cutoff`; returns how many. */
export async function pruneOnEventRunsSlice(pool: Pool, cutoff: Date, slice: number): Promise<number> {
  const { rowCount } = await pool.query(PRUNE_ON_EVENT_RUNS, [cutoff.toISOString(), slice]);
  return rowCount ?? 0;
}
