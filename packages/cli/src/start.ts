import { loadProviders } from '@weft/auth';
import { createSecretBox, type WeftConfig } from '@weft/core';
import { type Database, ensureEnvironment, migrate, openDatabase } from '@weft/db';
import { isolatePool } from '@weft/runner';
import { buildServer, listen } from '@weft/server';
import type { FastifyInstance } from 'fastify';
import { resolveEncryptionKey } from './encryption-key.js';
import { createFleetMaintenance } from './maintenance-jobs.js';
import { recordCipherFor } from './records-cipher.js';
import { createServices } from './services.js';

export interface StartOptions {
  /** Where user-facing lines go. @default process.stdout */
  out?: (line: string) => void;
  /** Request-log stream (tests capture it). @default stdout */
  logStream?: NodeJS.WritableStream;
}

export interface RunningWeft {
  url: string;
  app: FastifyInstance;
  database: Database;
  stop(): Promise<void>;
}

/** `weft start`: database (embedded or DATABASE_URL) → migrations → environment → API. */
export async function startWeft(config: WeftConfig, options: StartOptions = {}): Promise<RunningWeft> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  // providers.yaml first: a bad catalogue fails before anything starts (file:line per problem).
  const providers = await loadProviders(config.WEFT_PROVIDERS_FILE);
  // Fields Nango acts on that Weft does not: one line each (file:line entry.field: reason), never fatal.
  if (providers.warnings.length > 0) {
    out(`providers: ${providers.warnings.length} field(s) Weft does not act on in ${providers.file}:`);
    for (const warning of providers.warnings) out(`  warning: ${warning.message}`);
  }
  const { key } = await resolveEncryptionKey(config);
  const box = createSecretBox(key);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.WEFT_DATA_DIR });
  let app: FastifyInstance | undefined;
  try {
    await migrate(database.pool);
    const { createdSecretKey } = await ensureEnvironment(database.pool, box);
    const publicUrl = (config.WEFT_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
    const pool = database.pool;
    const recordCipher = recordCipherFor(config, key);
    const { auth, proxy, runner, scheduler, subscriptions } = createServices(
      config,
      database,
      box,
      providers,
      publicUrl,
      'all',
      (error) => process.stderr.write(`scheduler: ${(error as Error).message}\n`),
      recordCipher,
    );
    app = await buildServer(
      { config, pool, box, publicUrl, auth, proxy, runner, scheduler, ...(recordCipher ? { recordCipher } : {}) },
      options.logStream ? { logStream: options.logStream } : {},
    );
    const url = await listen(app, config.HOST, config.PORT);
    await scheduler.start();
    const log = app.log;
    // Webhook delivery (NOTIFY-driven) and housekeeping as pg-boss jobs shared with any `weft worker`.
    const maintenance = createFleetMaintenance(
      config,
      pool,
      database.url,
      box,
      publicUrl,
      scheduler.workerId,
      (what, error) => log.error({ err: error }, what),
      subscriptions,
    );
    await maintenance.start();
    out(`API URL: ${url}`);
    out(`Dashboard: ${url}/dashboard`);
    if (createdSecretKey) {
      out(`Secret key: ${createdSecretKey}`);
    } else {
      out('Secret key: run `weft env show` (or `npm run weft -- env show`) to print it');
    }
    out(`Database: ${database.embedded ? `embedded Postgres in ${config.WEFT_DATA_DIR}/pgdata` : 'DATABASE_URL'}`);
    let stopping: Promise<void> | undefined;
    const running = app;
    return {
      url,
      app: running,
      database,
      stop() {
        stopping ??= (async () => {
          await maintenance.stop();
          await scheduler.stop();
          // An isolate still being prepared when the process exits can take the process down with
          // it (isolated-vm): stop warming and wait for the one in progress before exiting.
          isolatePool.close();
          await isolatePool.settled();
          await proxy.close();
          await running.close();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await database.close();
    throw error;
  }
}
