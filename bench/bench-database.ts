import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPool, migrate, type Pool, startEmbeddedPostgres } from '@weft/db';

export interface BenchDatabase {
  url: string;
  pool: Pool;
  stop(): Promise<void>;
}

/**
 * A throwaway migrated cluster for one bench, with production settings (fsync on) so the
 * figures resemble a real deployment. Lives in the OS temp dir and is removed afterwards.
 */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const root = await mkdtemp(path.join(tmpdir(), 'weft-bench-pg-'));
  await chmod(root, 0o755); // the postgres OS user must traverse it when run as root
  const cluster = await startEmbeddedPostgres({ dataDir: path.join(root, 'pgdata') });
  const pool = createPool(cluster.url, { max: 4 });
  await migrate(pool);
  return {
    url: cluster.url,
    pool,
    async stop() {
      await pool.end();
      await cluster.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
