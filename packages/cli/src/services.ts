import { createAuthService, type ProviderCatalog } from '@weft/auth';
import type { SecretBox, WeftConfig } from '@weft/core';
import { type Database, listEnvironmentVariables } from '@weft/db';
import { createProxy, ProxyRequestLog } from '@weft/proxy';
import { createRecordStore, enqueueWebhookEvent, type RecordCipher } from '@weft/records';
import { connectionEventHooks, createRunner } from '@weft/runner';
import { createScheduler, type Scheduler } from '@weft/scheduler';

/** The services `weft start` and `weft worker` share, wired once. */
export function createServices(
  config: WeftConfig,
  database: Database,
  box: SecretBox,
  providers: ProviderCatalog,
  publicUrl: string,
  role: 'all' | 'worker',
  onError: (error: unknown) => void,
  /** Seals record payloads at rest (WEFT_RECORDS_ENCRYPTION=on). */
  recordCipher?: RecordCipher,
) {
  const pool = database.pool;
  const auth = createAuthService({
    pool,
    box,
    providers,
    publicUrl,
    refreshMarginSeconds: config.WEFT_TOKEN_REFRESH_MARGIN_SECONDS,
    onEvent: async (event) => {
      await enqueueWebhookEvent(pool, event);
    },
  });
  const proxyLog = new ProxyRequestLog(pool, { onError });
  const proxy = createProxy({
    credentials: auth,
    policy: { allowPrivateNetwork: config.WEFT_ALLOW_PRIVATE_NETWORK, allowedHosts: config.WEFT_PROXY_ALLOWED_HOSTS },
    log: proxyLog,
  });
  let scheduler: Scheduler | undefined;
  const records = createRecordStore({ pool, ...(recordCipher ? { cipher: recordCipher } : {}) });
  // Event scripts (validate-connection, post-connection-creation, pre-connection-deletion).
  auth.setConnectionHooks(connectionEventHooks({ pool, proxy, records, auth }));
  const runner = createRunner({
    pool,
    proxy,
    records,
    auth,
    validation: config.WEFT_RECORDS_VALIDATION,
    environmentVariables: (environmentId) => listEnvironmentVariables(pool, box, environmentId),
    actionConcurrency: config.WEFT_ACTION_CONCURRENCY,
    actionQueueLimit: config.WEFT_ACTION_QUEUE_LIMIT,
    isolatePoolSize: config.WEFT_ISOLATE_POOL_SIZE,
    // New syncs get schedules at once instead of at the next tick.
    onDeploy: async () => {
      await scheduler?.tickNow();
    },
  });
  scheduler = createScheduler({
    pool,
    connectionString: database.url,
    runner,
    role,
    concurrency: config.WEFT_WORKER_CONCURRENCY,
    providerConcurrency: config.WEFT_PROVIDER_CONCURRENCY,
    timeScale: config.WEFT_SCHEDULER_TIME_SCALE,
    heartbeatTimeoutMs: config.WEFT_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    heartbeatMs: Math.max(200, (config.WEFT_HEARTBEAT_TIMEOUT_SECONDS * 1000) / 6),
    onError,
  });
  return { auth, proxy, runner, scheduler };
}
