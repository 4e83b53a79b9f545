import { loadProviders } from '@weft/auth';
import { createSecretBox, type WeftConfig } from '@weft/core';
import { type Database, ensureEnvironment, migrate, openDatabase } from '@weft/db';
import { buildServer, listen } from '@weft/server';
import type { FastifyInstance } from 'fastify';
import { resolveEncryptionKey } from './encryption-key.js';
import { settleIsolatePool, startFleetWork } from './fleet-work.js';
import { publicUrlOf } from './public-url.js';
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
    const publicUrl = publicUrlOf(config);
    const pool = database.pool;
    const recordCipher = recordCipherFor(config, key);
    const services = createServices(
      config,
      database,
      box,
      providers,
      publicUrl,
      'all',
      (error) => process.stderr.write(`scheduler: ${(error as Error).message}\n`),
      recordCipher,
    );
    const { auth, proxy, runner, scheduler } = services;
    app = await buildServer(
      { config, pool, box, publicUrl, auth, proxy, runner, scheduler, ...(recordCipher ? { recordCipher } : {}) },
      options.logStream ? { logStream: options.logStream } : {},
    );
    const url = await listen(app, config.HOST, config.PORT);
    const log = app.log;
    // Webhook delivery (NOTIFY-driven) and housekeeping as pg-boss jobs shared with any `weft worker`.
    const fleet = await startFleetWork(config, database, box, publicUrl, services, (what, error) =>
      log.error({ err: error }, what),
    );
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
          await fleet.stop();
          await running.close();
          await database.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await settleIsolatePool();
    await database.close();
    throw error;
  }
}
