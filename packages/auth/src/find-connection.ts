import type { Pool } from '@weft/db';

/** How other areas address a connection they were given by external ids (API headers). */
export interface ConnectionRow {
  /** connections.id (internal) */
  id: number;
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
  const { rows } = await pool.query<{ id: number; integration_id: number }>(
    `SELECT id, integration_id FROM connections
     WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = $3`,
    [environmentId, providerConfigKey, connectionId],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : { id: row.id, environmentId, integrationId: row.integration_id, providerConfigKey, connectionId };
}
