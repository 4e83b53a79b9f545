import type { ConnectionRowId, Pool } from '@weft/db';
import { decodeCursor } from './record-cursor.js';
import * as sql from './sql.js';

/**
 * `PATCH /records/prune`: the consumer has copied records up to `untilCursor` and wants their
 * payloads gone from Weft. Payloads become `{ id }`; metadata, hashes (so unchanged records are
 * still skipped) and tombstones stay. Works in slices of `limit` so a huge prune never holds
 * long locks; call again while `hasMore`.
 */
export async function pruneRecords(
  pool: Pool,
  query: { connectionRowId: ConnectionRowId; model: string; untilCursor: string; limit?: number },
): Promise<{ count: number; hasMore: boolean }> {
  const until = decodeCursor(query.untilCursor);
  const limit = query.limit ?? 10_000;
  const result = await pool.query(sql.PRUNE_UNTIL, [query.connectionRowId, query.model, until, limit]);
  const { rows } = await pool.query<{ more: boolean }>(sql.PRUNE_HAS_MORE, [query.connectionRowId, query.model, until]);
  return { count: result.rowCount ?? 0, hasMore: rows[0]?.more ?? false };
}

export interface RetentionSettings {
  /** Hard-delete tombstones this many days after deletion; 0 keeps them forever. */
  tombstoneDays: number;
  /** Empty payloads of records unchanged for this many days; 0 keeps them forever. */
  payloadDays: number;
}

/** One retention pass (the scheduler runs it periodically); works in bounded slices until done. */
export async function applyRetention(
  pool: Pool,
  settings: RetentionSettings,
  slice = 5_000,
): Promise<{ tombstonesPurged: number; payloadsPruned: number }> {
  let tombstonesPurged = 0;
  let payloadsPruned = 0;
  if (settings.tombstoneDays > 0) {
    for (;;) {
      const result = await pool.query(sql.PURGE_TOMBSTONES, [settings.tombstoneDays, slice]);
      tombstonesPurged += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < slice) break;
    }
  }
  if (settings.payloadDays > 0) {
    for (;;) {
      const result = await pool.query(sql.PRUNE_STALE_PAYLOADS, [settings.payloadDays, slice]);
      payloadsPruned += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < slice) break;
    }
  }
  return { tombstonesPurged, payloadsPruned };
}
