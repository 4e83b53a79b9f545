import { loadProviders } from '@weft/auth';
import { createSecretBox, type WeftConfig } from '@weft/core';
import { type Database, ensureEnvironment, migrate, openDatabase } from '@weft/db';
import { applyRetention, createWebhookDeliveryWorker } from '@weft/records';
import { createAlerter, pruneProviderWebhooks } from '@weft/scheduler';
import { buildServer, listen, pruneOperationLog } from '@weft/server';
import type { FastifyInstance } from 'fastify';
import { resolveEncryptionKey } from './encryption-key.js';
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
    const webhooks = createWebhookDeliveryWorker({
      pool: database.pool,
      box,
      onError: (error) => log.error({ err: error }, 'webhook delivery round failed'),
    });
    await webhooks.start();
    const alerter = config.WEFT_ALERT_WEBHOOK_URL
      ? createAlerter({
          pool,
          webhookUrl: config.WEFT_ALERT_WEBHOOK_URL,
          publicUrl,
          onError: (error) => log.error({ err: error }, 'alert delivery failed'),
        })
      : undefined;
    const alertTimer = setInterval(() => {
      alerter?.runOnce().catch((error: unknown) => log.error({ err: error }, 'alert scan failed'));
    }, 15_000);
    alertTimer.unref();
    // Graph subscriptions: renew at half-life, create pending ones, retry failed ones. Rows are
    // locked while handled, so every process of a fleet may run this job.
    const subscriptionTimer = setInterval(() => {
      subscriptions
        .renewDue()
        .catch((error: unknown) => log.error({ err: error }, 'subscription renewal round failed'));
    }, 60_000);
    subscriptionTimer.unref();
    const retention = {
      tombstoneDays: config.WEFT_RECORDS_TOMBSTONE_RETENTION_DAYS,
      payloadDays: config.WEFT_RECORDS_PAYLOAD_RETENTION_DAYS,
    };
    const retentionTimer = setInterval(() => {
      applyRetention(database.pool, retention).catch((error: unknown) =>
        log.error({ err: error }, 'records retention failed'),
      );
      pruneOperationLog(database.pool, config.WEFT_LOGS_RETENTION_DAYS).catch((error: unknown) =>
        log.error({ err: error }, 'operation log retention failed'),
      );
      pruneProviderWebhooks(database.pool, config.WEFT_LOGS_RETENTION_DAYS).catch((error: unknown) =>
        log.error({ err: error }, 'inbound webhook retention failed'),
      );
    }, 3_600_000);
    retentionTimer.unref();
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
          clearInterval(retentionTimer);
          clearInterval(alertTimer);
          clearInterval(subscriptionTimer);
          await webhooks.stop();
          await scheduler.stop();
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
