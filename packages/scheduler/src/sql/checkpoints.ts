/** SQL of sync checkpoints (`sync_checkpoints`), keyed by (connection row id, sync, variant). */

export const GET_CHECKPOINT =
  'SELECT checkpoint FROM sync_checkpoints WHERE connection_id = $1 AND sync_name = $2 AND variant = $3';

export const SAVE_CHECKPOINT = `
INSERT INTO sync_checkpoints (connection_id, sync_name, variant, checkpoint) VALUES ($1, $2, $3, $4)
ON CONFLICT (connection_id, sync_name, variant) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = now()`;

export const CLEAR_CHECKPOINT =
  'DELETE FROM sync_checkpoints WHERE connection_id = $1 AND sync_name = $2 AND variant = $3';

/** The saved checkpoint of each (connection, sync, variant), for Nango's `checkpoint` in sync status. $1 connection row ids. */
export const SYNC_CHECKPOINTS = `
SELECT connection_id, sync_name, variant, checkpoint FROM sync_checkpoints WHERE connection_id = ANY($1::bigint[])`;
