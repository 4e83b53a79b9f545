import type { ConnectionRowId, Pool } from '@weft/db';
import { RECORD_COUNTS } from './sql.js';

export interface ModelRecordCount {
  model: string;
  live: number;
  /** tombstones still kept (readable with filter=deleted) */
  deleted: number;
  lastModifiedAt: string | null;
}

/** How many records one connection (internal id) holds per model, for the dashboard. */
export async function countRecordsByModel(pool: Pool, connectionRowId: ConnectionRowId): Promise<ModelRecordCount[]> {
  const { rows } = await pool.query<{
    model: string;
    live: string;
    deleted: string;
    last_modified_at: Date | string | null;
  }>(RECORD_COUNTS, [connectionRowId]);
  return rows.map((r) => ({
    model: r.model,
    live: Number(r.live),
    deleted: Number(r.deleted),
    lastModifiedAt: r.last_modified_at === null ? null : new Date(r.last_modified_at).toISOString(),
  }));
}
