import { type ConnectionRowId, connectionRowId, type Pool } from '@weft/db';
import {
  CONNECTION_KEYS,
  CONNECTION_METRICS,
  CONNECTIONS_NEEDING_REAUTH,
  EXPIRING_CLIENT_SECRETS,
} from './sql/connections.js';

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
  environmentId: number | null,
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

/** A connection the end user must re-authorize (alerts). */
export interface ReauthNeeded extends ConnectionKeys {
  environmentId: number;
  lastRefreshError: string | null;
}

export async function connectionsNeedingReauth(pool: Pool): Promise<ReauthNeeded[]> {
  const { rows } = await pool.query<{
    id: string | number;
    environment_id: number;
    connection_id: string;
    provider_config_key: string;
    last_refresh_error: string | null;
  }>(CONNECTIONS_NEEDING_REAUTH);
  return rows.map((r) => ({
    rowId: connectionRowId(r.id),
    environmentId: r.environment_id,
    connectionId: r.connection_id,
    providerConfigKey: r.provider_config_key,
    lastRefreshError: r.last_refresh_error,
  }));
}

/** An integration whose client secret expires soon (alerts). */
export interface ExpiringSecret {
  integrationRowId: number;
  environmentId: number;
  uniqueKey: string;
  /** Postgres timestamptz text. */
  expiresAt: string;
}

/** Integrations whose client secret expires within `days`. */
export async function expiringClientSecrets(pool: Pool, days: number): Promise<ExpiringSecret[]> {
  const { rows } = await pool.query<{
    id: number;
    environment_id: number;
    unique_key: string;
    client_secret_expires_at: string;
  }>(EXPIRING_CLIENT_SECRETS, [days]);
  return rows.map((r) => ({
    integrationRowId: r.id,
    environmentId: r.environment_id,
    uniqueKey: r.unique_key,
    expiresAt: r.client_secret_expires_at,
  }));
}
