import type { Pool, PoolClient } from '@weft/db';
import * as sql from './sql.js';

/** Per-model change counts of a run, as its outcome and its `sync` webhook report them. */
export type RunChangeCounts = Record<string, { added: number; updated: number; deleted: number }>;

/** Adds one committed batch to its run's counters, inside the batch's own transaction. */
export async function countRunChanges(
  client: PoolClient,
  runId: string,
  model: string,
  change: { added: number; updated: number; deleted: number },
): Promise<void> {
  if (change.added + change.updated + change.deleted === 0) return;
  await client.query(sql.COUNT_RUN_CHANGES, [runId, model, change.added, change.updated, change.deleted]);
}

/**
 * The committed changes of these runs (a run and the interrupted attempts it retries), summed per
 * model and removed: call it in the transaction that writes the run's outcome, so the counts are
 * reported once and roll back with it.
 */
export async function takeRunChanges(client: PoolClient | Pool, runIds: readonly string[]): Promise<RunChangeCounts> {
  const { rows } = await client.query<{ model: string; added: number; updated: number; deleted: number }>(
    sql.TAKE_RUN_CHANGES,
    [runIds],
  );
  const counts: RunChangeCounts = {};
  for (const row of rows) counts[row.model] = { added: row.added, updated: row.updated, deleted: row.deleted };
  return counts;
}
