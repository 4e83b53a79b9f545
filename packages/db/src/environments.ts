import { createHash, randomBytes } from 'node:crypto';
import type { SecretBox } from '@weft/core';
import type { Pool } from './pool.js';
import { environmentSql } from './sql.js';
import { withAdvisoryLock } from './transactions.js';

/** An environment isolates integrations, connections, scripts and records; its secret key guards the API. */
export interface Environment {
  id: number;
  name: string;
  createdAt: string;
}

export function hashSecretKey(secretKey: string): string {
  return createHash('sha256').update(secretKey).digest('hex');
}

export function generateSecretKey(): string {
  return `weft_sk_${randomBytes(24).toString('base64url')}`;
}

interface EnvironmentRow {
  id: number;
  name: string;
  created_at: string;
}

function fromRow(row: EnvironmentRow): Environment {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

/**
 * Make sure environment `name` exists. Returns the secret key only when this call created it
 * (so it is printed exactly once); concurrent starts serialise on an advisory lock.
 */
export async function ensureEnvironment(
  pool: Pool,
  box: SecretBox,
  name = 'dev',
): Promise<{ environment: Environment; createdSecretKey: string | null }> {
  return withAdvisoryLock(pool, `weft:environment:${name}`, async (client) => {
    const existing = await client.query<EnvironmentRow>(environmentSql.findByName.text, [name]);
    if (existing.rows[0]) return { environment: fromRow(existing.rows[0]), createdSecretKey: null };
    const secretKey = generateSecretKey();
    const created = await client.query<EnvironmentRow>(environmentSql.insert.text, [
      name,
      hashSecretKey(secretKey),
      box.seal(secretKey),
    ]);
    return { environment: fromRow(created.rows[0]!), createdSecretKey: secretKey };
  });
}

/** The environment a secret key belongs to, or null (constant-time via the hash index lookup). */
export async function findEnvironmentBySecretKey(pool: Pool, secretKey: string): Promise<Environment | null> {
  const result = await pool.query<EnvironmentRow>(environmentSql.findByKeyHash.text, [hashSecretKey(secretKey)]);
  return result.rows[0] ? fromRow(result.rows[0]) : null;
}

/** The environment named `name`, or null (the public inbound-webhook URL names it). */
export async function findEnvironmentByName(pool: Pool, name: string): Promise<Environment | null> {
  const result = await pool.query<EnvironmentRow>(environmentSql.findByName.text, [name]);
  return result.rows[0] ? fromRow(result.rows[0]) : null;
}

/** An environment's name (`dev`), e.g. for Nango's `environment` field of auth webhooks. */
export async function environmentName(pool: Pool, id: number): Promise<string | null> {
  const result = await pool.query<{ name: string }>(environmentSql.nameById.text, [id]);
  return result.rows[0]?.name ?? null;
}

/** Decrypt and return the secret key of an environment (for `weft env show`). */
export async function revealSecretKey(pool: Pool, box: SecretBox, name = 'dev'): Promise<string | null> {
  const result = await pool.query<{ secret_key_enc: string }>(environmentSql.sealedKeyByName.text, [name]);
  const sealed = result.rows[0]?.secret_key_enc;
  return sealed ? box.open(sealed) : null;
}

/** Replace the secret key of an environment; the old one stops working at once. */
export async function rotateSecretKey(pool: Pool, box: SecretBox, name = 'dev'): Promise<string> {
  const secretKey = generateSecretKey();
  await pool.query(environmentSql.rotate.text, [name, hashSecretKey(secretKey), box.seal(secretKey)]);
  return secretKey;
}
