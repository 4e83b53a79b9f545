import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dbErrors } from './errors.js';
import type { Pool } from './pool.js';
import { withAdvisoryLock } from './transactions.js';

/**
 * Migrations are `migrations/NNN_name.sql` in this package, numbered by area (000–099 db,
 * 100–199 auth, 200–299 records, 300–399 proxy, 400–499 runner, 500–599 scheduler,
 * 600–699 observability). Each applied file is recorded by name, so a lower number added
 * later is still applied; order is by number.
 */
export const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface MigrationResult {
  /** Name of the newest applied migration, e.g. `001_environments`. */
  version: string | null;
  /** Migrations applied by this call (empty when the database was current). */
  applied: string[];
}

async function listMigrations(): Promise<{ name: string; number: number; file: string }[]> {
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f));
  return files
    .map((file) => ({ name: file.replace(/\.sql$/, ''), number: Number(file.slice(0, 3)), file }))
    .sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
}

/**
 * Apply pending migrations under one advisory lock, so two processes starting together never
 * double-apply: the second waits, then finds nothing to do. Each migration commits with the
 * row that records it.
 */
export async function migrate(pool: Pool): Promise<MigrationResult> {
  const migrations = await listMigrations();
  return withAdvisoryLock(pool, 'weft:migrations', async (client) => {
    await client.query(`CREATE TABLE IF NOT EXISTS weft_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await client.query<{ name: string }>('SELECT name FROM weft_migrations')).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      const sql = await readFile(`${migrationsDir}${migration.file}`, 'utf8');
      await client.query(`SAVEPOINT m`);
      try {
        await client.query(sql);
        await client.query('INSERT INTO weft_migrations (name) VALUES ($1)', [migration.name]);
        await client.query('RELEASE SAVEPOINT m');
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT m');
        throw dbErrors.create(
          'WEFT_DB_MIGRATION_FAILED',
          { name: migration.name, reason: (error as Error).message },
          undefined,
          error,
        );
      }
      applied.push(migration.name);
    }
    return { version: migrations.at(-1)?.name ?? null, applied };
  });
}

/** Newest migration recorded in the database, or null before the first start. */
export async function currentMigrationVersion(pool: Pool): Promise<string | null> {
  const result = await pool.query<{ name: string }>(`SELECT name FROM weft_migrations ORDER BY name DESC LIMIT 1`);
  return result.rows[0]?.name ?? null;
}
