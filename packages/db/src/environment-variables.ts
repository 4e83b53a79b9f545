import type { SecretBox } from '@weft/core';
import type { Pool } from './pool.js';
import { environmentVariableSql } from './sql.js';
import { withTransaction } from './transactions.js';

/** One script-visible variable of an environment (Nango's `{ name, value }`). */
export interface EnvironmentVariable {
  name: string;
  value: string;
}

/** The environment's variables, opened, in name order. */
export async function listEnvironmentVariables(
  pool: Pool,
  box: SecretBox,
  environmentId: number,
): Promise<EnvironmentVariable[]> {
  const { rows } = await pool.query<{ name: string; value_enc: string }>(environmentVariableSql.list.text, [
    environmentId,
  ]);
  return rows.map((row) => ({ name: row.name, value: box.open(row.value_enc) }));
}

/** Replace the environment's variables with `variables` (all or nothing), each value sealed. */
export async function replaceEnvironmentVariables(
  pool: Pool,
  box: SecretBox,
  environmentId: number,
  variables: EnvironmentVariable[],
): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query(environmentVariableSql.clear.text, [environmentId]);
    for (const variable of variables)
      await client.query(environmentVariableSql.insert.text, [environmentId, variable.name, box.seal(variable.value)]);
  });
}
