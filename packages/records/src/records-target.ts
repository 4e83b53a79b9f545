import type { ConnectionRowId, Pool } from '@weft/db';
import { recordsErrors } from './errors.js';

/** The connection whose records an API call reads, after checking the model exists. */
export interface RecordsTarget {
  /** connections.id, resolved from the external Connection-Id header. */
  connectionRowId: ConnectionRowId;
  integrationId: number;
}

/**
 * Resolve API headers (Provider-Config-Key, Connection-Id) and a model name in one round trip —
 * it runs on every records page. Unknown connection → 404; model not deployed for the
 * integration → 400 listing the known models. Connections are auth's: read through the view it
 * publishes (`connection_refs`, inlined by Postgres), which keeps this one round trip.
 */
export async function resolveRecordsTarget(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  connectionId: string,
  model: string,
): Promise<RecordsTarget> {
  const { rows } = await pool.query<{
    id: ConnectionRowId;
    integration_id: number;
    known: string[] | null;
    found: boolean;
  }>(
    `SELECT c.id, c.integration_id,
            EXISTS (SELECT 1 FROM record_models m WHERE m.integration_id = c.integration_id AND m.model = $4) AS found,
            CASE WHEN NOT EXISTS (SELECT 1 FROM record_models m WHERE m.integration_id = c.integration_id AND m.model = $4)
                 THEN ARRAY(SELECT m.model FROM record_models m WHERE m.integration_id = c.integration_id ORDER BY m.model) END AS known
     FROM connection_refs c
     WHERE c.environment_id = $1 AND c.provider_config_key = $2 AND c.connection_id = $3`,
    [environmentId, providerConfigKey, connectionId, model],
  );
  const row = rows[0];
  if (row === undefined) {
    throw recordsErrors.create('WEFT_RECORDS_CONNECTION_NOT_FOUND', { connectionId, providerConfigKey });
  }
  if (!row.found) {
    throw recordsErrors.create('WEFT_RECORDS_UNKNOWN_MODEL', { model, providerConfigKey }, { known: row.known ?? [] });
  }
  return { connectionRowId: row.id, integrationId: row.integration_id };
}
