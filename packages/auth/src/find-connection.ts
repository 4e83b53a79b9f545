import { type ConnectionRowId, connectionRowId, type Pool } from '@weft/db';

/** How other areas address a connection they were given by external ids (API headers). */
export interface ConnectionRow {
  /** connections.id (internal) */
  id: ConnectionRowId;
  environmentId: number;
  integrationId: number;
  providerConfigKey: string;
  connectionId: string;
}

/** The connection named by (Provider-Config-Key, Connection-Id) in an environment, or null. */
export async function findConnection(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  connectionId: string,
): Promise<ConnectionRow | null> {
  const { rows } = await pool.query<{ id: ConnectionRowId; integration_id: number }>(
    `SELECT id, integration_id FROM connections
     WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = $3`,
    [environmentId, providerConfigKey, connectionId],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : { id: row.id, environmentId, integrationId: row.integration_id, providerConfigKey, connectionId };
}

/** A connection a provider webhook was routed to. */
export interface RoutedConnection {
  /** connections.id (internal) */
  id: ConnectionRowId;
  connectionId: string;
}

/**
 * Connections of an integration that a provider webhook names: by a `connection_config` or
 * `metadata` key whose value (as text) equals `value`, by external connection ids, or all of
 * them. Used by the inbound webhook routers (Nango's executeScriptForWebhooks lookups).
 */
export async function findRoutedConnections(
  pool: Pool,
  environmentId: number,
  integrationId: number,
  by:
    | { field: 'connection_config' | 'metadata'; key: string; value: string }
    | { connectionIds: string[] }
    | { all: true },
): Promise<RoutedConnection[]> {
  const { rows } =
    'field' in by
      ? await pool.query<{ id: number; connection_id: string }>(
          `SELECT id, connection_id FROM connections
           WHERE environment_id = $1 AND integration_id = $2
             AND (CASE WHEN $3 = 'metadata' THEN metadata ELSE connection_config END) #>> $4::text[] = $5
           ORDER BY id`,
          [environmentId, integrationId, by.field, by.key.split('.'), by.value],
        )
      : 'connectionIds' in by
        ? await pool.query<{ id: number; connection_id: string }>(
            `SELECT id, connection_id FROM connections
             WHERE environment_id = $1 AND integration_id = $2 AND connection_id = ANY($3::text[]) ORDER BY id`,
            [environmentId, integrationId, by.connectionIds],
          )
        : await pool.query<{ id: number; connection_id: string }>(
            `SELECT id, connection_id FROM connections WHERE environment_id = $1 AND integration_id = $2 ORDER BY id`,
            [environmentId, integrationId],
          );
  return rows.map((r) => ({ id: connectionRowId(r.id), connectionId: r.connection_id }));
}
