import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPool, migrate, startEmbeddedPostgres } from '@weft/db';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the test cluster (database `postgres`). */
    pgAdminUrl: string;
    /** Name of a database with every migration applied, used as CREATE DATABASE template. */
    pgTemplate: string;
  }
}

/**
 * One throwaway Postgres cluster per `vitest run`, in the OS temp dir (never the developer's
 * ./.weft). Each test file copies a migrated template database, so files run in parallel on
 * fresh data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // /tmp is world-traversable, which the postgres OS user needs when tests run as root.
  const root = await mkdtemp(path.join(tmpdir(), 'weft-test-pg-'));
  await chmod(root, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir: path.join(root, 'pgdata'), ephemeral: true });
  const template = 'weft_template';
  const admin = createPool(cluster.url, { max: 1 });
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const templateUrl = new URL(cluster.url);
  templateUrl.pathname = `/${template}`;
  const pool = createPool(templateUrl.toString(), { max: 1 });
  await migrate(pool);
  await pool.end();
  project.provide('pgAdminUrl', cluster.url);
  project.provide('pgTemplate', template);
  return async () => {
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  };
}
