import type { Pool, PoolClient } from '@weft/db';
import { INTEGRATION_ROW_ID } from './sql/integration-keys.js';

/**
 * The row id (integrations.id) of an integration by its key, or undefined when the environment
 * has none: for packages whose tables reference the integration (the runner's deployments). Takes
 * a client too, so a caller inside a transaction reads what that transaction sees.
 */
export async function integrationRowId(
  db: Pool | PoolClient,
  environmentId: number,
  uniqueKey: string,
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(INTEGRATION_ROW_ID, [environmentId, uniqueKey]);
  return rows[0]?.id;
}
