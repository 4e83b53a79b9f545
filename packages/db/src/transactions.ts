import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from './pool.js';

/** Run `fn` in one transaction; commit on success, roll back on any throw. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Stable 64-bit advisory lock key for a name (so call sites use readable names). */
export function advisoryLockKey(name: string): bigint {
  return createHash('sha256').update(name).digest().readBigInt64BE(0);
}

/**
 * Hold a transaction-scoped advisory lock for `name` while `fn` runs in that transaction.
 * Other callers with the same name wait; the lock is released at commit/rollback, so a crashed
 * holder never leaves it behind.
 */
export async function withAdvisoryLock<T>(
  pool: Pool,
  name: string,
  fn: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [advisoryLockKey(name).toString()]);
    return fn(client);
  });
}
