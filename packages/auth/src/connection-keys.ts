import { type ConnectionRowId, connectionRowId, type Pool } from '@weft/db';
import { CONNECTION_KEYS, CONNECTION_METRICS } from './sql/connections.js';

/** A connection's internal row id with its external names (no credentials). */
export interface ConnectionKeys {
  rowId: ConnectionRowId;
  connectionId: string;
  providerConfigKey: string;
}

/**
 * The connections of an environment matching every given filter: row ids (to name the rows other
 * packages' tables reference), the external connection id, the integration.
 */
export async function connectionKeys(
  pool: Pool,
  environmentId: number,
  filter: { rowIds?: ConnectionRowId[]; connectionId?: string | null; providerConfigKey?: string | null },
): Promise<ConnectionKeys[]> {
  if (filter.rowIds !== undefined && filter.rowIds.length === 0) return [];
  const { rows } = await pool.query<{ id: string | number; connection_id: string; provider_config_key: string }>(
    CONNECTION_KEYS,
    [environmentId, filter.rowIds ?? null, filter.connectionId ?? null, filter.providerConfigKey ?? null],
  );
  return rows.map((r) => ({
    rowId: connectionRowId(r.id),
    connectionId: r.connection_id,
    providerConfigKey: r.provider_config_key,
  }));
}

/** GET /metrics: connections by auth state over every environment. */
export async function connectionMetrics(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ by_state: Record<string, number> }>(CONNECTION_METRICS);
  return rows[0]?.by_state ?? {};
}
