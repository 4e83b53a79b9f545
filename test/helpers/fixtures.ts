import { randomBytes } from 'node:crypto';
import { type ConnectionRowId, connectionRowId, type Pool } from '@weft/db';

export interface SeededConnection {
  environmentId: number;
  integrationId: number;
  /** connections.id */
  id: ConnectionRowId;
  providerConfigKey: string;
  connectionId: string;
}

/**
 * Insert an environment (or reuse `environmentId`), an integration and a connection with plain
 * SQL, for tests of areas that only need the rows to exist (records, webhooks, scheduler).
 */
export async function seedConnection(
  pool: Pool,
  options: { environmentId?: number; providerConfigKey?: string; provider?: string } = {},
): Promise<SeededConnection> {
  let environmentId = options.environmentId;
  if (environmentId === undefined) {
    const suffix = randomBytes(4).toString('hex');
    const { rows } = await pool.query<{ id: number }>(
      `INSERT INTO environments (name, secret_key_hash, secret_key_enc) VALUES ($1, $2, 'unused') RETURNING id`,
      [`env-${suffix}`, `hash-${suffix}`],
    );
    environmentId = rows[0]?.id ?? 0;
  }
  const providerConfigKey = options.providerConfigKey ?? `int-${randomBytes(3).toString('hex')}`;
  const integration = await pool.query<{ id: number }>(
    `INSERT INTO integrations (environment_id, unique_key, provider) VALUES ($1, $2, $3)
     ON CONFLICT (environment_id, unique_key) DO UPDATE SET provider = EXCLUDED.provider RETURNING id`,
    [environmentId, providerConfigKey, options.provider ?? 'github'],
  );
  const integrationId = integration.rows[0]?.id ?? 0;
  const connectionId = `conn-${randomBytes(4).toString('hex')}`;
  const connection = await pool.query<{ id: number }>(
    `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key)
     VALUES ($1, $2, $3, $4) RETURNING id`,
    [environmentId, integrationId, connectionId, providerConfigKey],
  );
  return {
    environmentId,
    integrationId,
    id: connectionRowId(connection.rows[0]?.id ?? 0),
    providerConfigKey,
    connectionId,
  };
}
