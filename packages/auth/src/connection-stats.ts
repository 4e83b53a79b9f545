import type { Pool } from '@weft/db';
import { CONNECTION_STATE_COUNTS } from './sql/connections.js';

/** Connections of an environment (or one integration) by auth state, for the dashboard overview. */
export interface ConnectionStats {
  total: number;
  ok: number;
  /** last token refresh failed; credentials may still work */
  refreshFailing: number;
  /** the end user must reconnect */
  needsReauth: number;
}

export async function connectionStats(
  pool: Pool,
  environmentId: number,
  integration: string | null,
): Promise<ConnectionStats> {
  const { rows } = await pool.query<{ state: 'ok' | 'refresh_failing' | 'needs_reauth'; count: number }>(
    CONNECTION_STATE_COUNTS,
    [environmentId, integration],
  );
  const of = (state: string) => rows.find((r) => r.state === state)?.count ?? 0;
  const stats = { ok: of('ok'), refreshFailing: of('refresh_failing'), needsReauth: of('needs_reauth') };
  return { total: stats.ok + stats.refreshFailing + stats.needsReauth, ...stats };
}
