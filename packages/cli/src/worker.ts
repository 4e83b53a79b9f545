import { loadProviders } from '@weft/auth';
import { createSecretBox, type WeftConfig } from '@weft/core';
import { migrate, openDatabase } from '@weft/db';
import { resolveEncryptionKey } from './encryption-key.js';
import { settleIsolatePool, startFleetWork } from './fleet-work.js';
import { publicUrlOf } from './public-url.js';
import { recordCipherFor } from './records-cipher.js';
import { createServices } from './services.js';

/**
 * `weft worker`: a runner pool only (no API, no schedule ticking) joining the shared Postgres;
 * add as many as the load needs. Needs the same WEFT_ENCRYPTION_KEY as the server.
 */
export async function startWorker(
  config: WeftConfig,
  out: (line: string) => void,
): Promise<{ stop(): Promise<void>; workerId: string }> {
  const providers = await loadProviders(config.WEFT_PROVIDERS_FILE);
  const { key } = await resolveEncryptionKey(config);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.WEFT_DATA_DIR });
  try {
    await migrate(database.pool);
    const publicUrl = publicUrlOf(config);
    const box = createSecretBox(key);
    const services = createServices(
      config,
      database,
      box,
      providers,
      publicUrl,
      'worker',
      (error) => process.stderr.write(`worker: ${(error as Error).message}\n`),
      recordCipherFor(config, key),
    );
    // A worker shares webhook delivery and housekeeping with the rest of the fleet.
    const fleet = await startFleetWork(config, database, box, publicUrl, services, (what, error) =>
      process.stderr.write(`worker: ${what}: ${(error as Error).message}\n`),
    );
    const { workerId } = services.scheduler;
    out(`Worker ${workerId} started (concurrency ${config.WEFT_WORKER_CONCURRENCY})`);
    let stopping: Promise<void> | undefined;
    return {
      workerId,
      stop() {
        stopping ??= (async () => {
          await fleet.stop();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await settleIsolatePool();
    await database.close();
    throw error;
  }
}
