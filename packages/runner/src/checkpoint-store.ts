import type { ConnectionRowId } from '@weft/db';

/**
 * Where nango.getCheckpoint/saveCheckpoint/clearCheckpoint go. The scheduler owns the table (a
 * checkpoint is part of a sync's run lifecycle) and injects its store; the runner only calls it.
 */
export interface CheckpointKey {
  /** The connection's internal row id (`connections.id`). */
  connectionRowId: ConnectionRowId;
  syncName: string;
  variant: string;
}

export interface CheckpointStore {
  get(key: CheckpointKey): Promise<Record<string, unknown> | null>;
  save(key: CheckpointKey, checkpoint: Record<string, unknown>): Promise<void>;
  clear(key: CheckpointKey): Promise<void>;
}
