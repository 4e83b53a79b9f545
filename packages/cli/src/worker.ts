import { loadProviders } from '@weft/auth';
import { createSecretBox, type WeftConfig } from '@weft/core';
import { migrate, openDatabase } from '@weft/db';
import { isolatePool } from '@weft/runner';
import { resolveEncryptionKey } from './encryption-key.js';
import { createFleetMaintenance } from './maintenance-jobs.js';
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
    const publicUrl = (config.WEFT_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
    const box = createSecretBox(key);
    const { proxy, scheduler, subscriptions } = createServices(
      config,
      database,
      box,
      providers,
      publicUrl,
      'worker',
      (error) => process.stderr.write(`worker: ${(error as Error).message}\n`),
      recordCipherFor(config, key),
    );
    await scheduler.start();
    // A worker shares webhook delivery and housekeeping with the rest of the fleet.
    const maintenance = createFleetMaintenance(
      config,
      database.pool,
      database.url,
      box,
      publicUrl,
      scheduler.workerId,
      (what, error) => process.stderr.write(`worker: ${what}: ${(error as Error).message}\n`),
      subscriptions,
    );
    await maintenance.start();
    out(`Worker ${scheduler.workerId} started (concurrency ${config.WEFT_WORKER_CONCURRENCY})`);
    let stopping: Promise<void> | undefined;
    return {
      workerId: scheduler.workerId,
      stop() {
        stopping ??= (async () => {
          await maintenance.stop();
          await scheduler.stop();
          // An isolate still being prepared when the process exits can take the process down with
          // it (isolated-vm): stop warming and wait for the one in progress before exiting.
          isolatePool.close();
          await isolatePool.settled();
          await proxy.close();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
