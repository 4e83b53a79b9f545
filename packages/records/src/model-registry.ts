import type { Pool, PoolClient } from '@weft/db';
import * as sql from './sql.js';
import { compileModelSchema } from './validate-records.js';

/**
 * Record (or replace) the JSON Schema of each model of an integration. Deploy calls this in its
 * own transaction; every schema is compiled first so a bad one fails the deploy, not a later run.
 */
export async function registerModels(
  db: Pool | PoolClient,
  integrationId: number,
  models: Record<string, object>,
): Promise<void> {
  for (const [model, schema] of Object.entries(models)) compileModelSchema(model, schema);
  for (const [model, schema] of Object.entries(models)) {
    await db.query(sql.UPSERT_MODEL, [integrationId, model, JSON.stringify(schema)]);
  }
}

/** Deployed models of an integration with their JSON Schemas, by name. */
export async function listModels(db: Pool | PoolClient, integrationId: number): Promise<Map<string, object>> {
  const { rows } = await db.query<{ model: string; json_schema: object }>(sql.LIST_MODELS, [integrationId]);
  return new Map(rows.map((row) => [row.model, row.json_schema]));
}
