import type { ConnectionRowId, Pool } from '@weft/db';
import { connectionRowId } from '@weft/db';
import type { CheckpointKey, CheckpointStore } from '@weft/runner';
import * as sql from './sql/checkpoints.js';

const params = (key: CheckpointKey) => [key.connectionRowId, key.syncName, key.variant];

/**
 * Sync checkpoints are part of a sync's run lifecycle, so the scheduler owns them; the runner gets
 * this store injected and serves nango.getCheckpoint/saveCheckpoint/clearCheckpoint from it.
 */
export function createCheckpointStore(pool: Pool): CheckpointStore {
  return {
    async get(key) {
      const { rows } = await pool.query<{ checkpoint: Record<string, unknown> }>(sql.GET_CHECKPOINT, params(key));
      return rows[0]?.checkpoint ?? null;
    },
    async save(key, checkpoint) {
      await pool.query(sql.SAVE_CHECKPOINT, [...params(key), JSON.stringify(checkpoint)]);
    },
    async clear(key) {
      await pool.query(sql.CLEAR_CHECKPOINT, params(key));
    },
  };
}

/** A saved checkpoint, for Nango's `checkpoint` in sync status. */
export interface SavedCheckpoint extends CheckpointKey {
  checkpoint: Record<string, unknown>;
}

/** The saved checkpoints of the given connections. */
export async function listCheckpoints(pool: Pool, connections: ConnectionRowId[]): Promise<SavedCheckpoint[]> {
  if (connections.length === 0) return [];
  const { rows } = await pool.query<{
    connection_id: string | number;
    sync_name: string;
    variant: string;
    checkpoint: Record<string, unknown>;
  }>(sql.SYNC_CHECKPOINTS, [connections]);
  return rows.map((r) => ({
    connectionRowId: connectionRowId(r.connection_id),
    syncName: r.sync_name,
    variant: r.variant,
    checkpoint: r.checkpoint,
  }));
}
