import { randomBytes } from 'node:crypto';
import { createPool, migrate, type Pool } from '@weft/db';
import { inject } from 'vitest';

export interface TestDatabase {
  /** Connection string of this test's own database. */
  url: string;
  pool: Pool;
  /** Close the pool and drop the database. */
  drop(): Promise<void>;
}

async function createWithRetry(admin: Pool, sql: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(sql);
      return;
    } catch (error) {
      // 55006: the template is briefly "being accessed" while another file copies it.
      if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80));
    }
  }
}

/**
 * A fresh database for one test file: a copy of the migrated template (`migrated: true`, the
 * default) or an empty one. Call `drop()` in afterAll.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createPool(adminUrl, { max: 1 });
  try {
    const template = options.migrated === false ? 'template0' : inject('pgTemplate');
    await createWithRetry(admin, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  if (options.migrated !== false) await migrate(pool); // no-op unless a migration was added mid-run
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const dropper = createPool(adminUrl, { max: 1 });
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => dropper.end());
    },
  };
}
