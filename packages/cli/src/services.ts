import { type AuthService, createAuthService, type ProviderCatalog } from '@weft/auth';
import type { SecretBox, WeftConfig } from '@weft/core';
import { type Database, listEnvironmentVariables } from '@weft/db';
import { createProxy, type OutboundProxy, ProxyRequestLog } from '@weft/proxy';
import { createRecordStore, enqueueWebhookEvent, type RecordCipher, type RecordStore } from '@weft/records';
import { connectionEventHooks, createRunner, type Runner } from '@weft/runner';
import { createScheduler, type Scheduler, type SchedulerOptions } from '@weft/scheduler';

/**
 * Timings production leaves at their defaults and the test harness shortens (so a test of a
 * retry does not wait for production back-off). Nothing else differs between the two wirings.
 */
export interface ServiceTimings {
  /** First delay before retrying a failed token refresh. @default 500 (auth's default) */
  refreshRetryDelayMs?: number;
  /** First delay before the proxy retries a request. @default the proxy's default */
  proxyBaseRetryDelayMs?: number;
  /** How often the proxy's request log is flushed. @default the request log's default */
  proxyLogIntervalMs?: number;
}

/** The services of a Weft process, wired once; the scheduler is attached by the caller that runs one. */
export interface WiredServices {
  auth: AuthService;
  proxy: OutboundProxy;
  records: RecordStore;
  runner: Runner;
  /**
   * Create the scheduler over these services (settings from config, then `overrides`); deploys
   * then tick it so new syncs get schedules at once.
   */
  attachScheduler(
    role: 'all' | 'worker',
    overrides?: Partial<Omit<SchedulerOptions, 'pool' | 'connectionString' | 'runner'>>,
  ): Scheduler;
}

/**
 * The production wiring of auth, proxy, records and runner (`weft start`, `weft worker`, and the
 * test harness, so the tests exercise this wiring rather than a copy of it).
 */
export function wireServices(
  config: WeftConfig,
  database: Pick<Database, 'pool' | 'url'>,
  box: SecretBox,
  providers: ProviderCatalog,
  publicUrl: string,
  onError: (error: unknown) => void,
  /** Seals record payloads at rest (WEFT_RECORDS_ENCRYPTION=on). */
  recordCipher?: RecordCipher,
  timings: ServiceTimings = {},
): WiredServices {
  const pool = database.pool;
  const auth = createAuthService({
    pool,
    box,
    providers,
    publicUrl,
    refreshMarginSeconds: config.WEFT_TOKEN_REFRESH_MARGIN_SECONDS,
    ...(timings.refreshRetryDelayMs === undefined ? {} : { refreshRetryDelayMs: timings.refreshRetryDelayMs }),
    onEvent: async (event) => {
      await enqueueWebhookEvent(pool, event);
    },
  });
  const proxyLog = new ProxyRequestLog(pool, {
    onError,
    ...(timings.proxyLogIntervalMs === undefined ? {} : { intervalMs: timings.proxyLogIntervalMs }),
  });
  const proxy = createProxy({
    credentials: auth,
    policy: { allowPrivateNetwork: config.WEFT_ALLOW_PRIVATE_NETWORK, allowedHosts: config.WEFT_PROXY_ALLOWED_HOSTS },
    log: proxyLog,
    ...(timings.proxyBaseRetryDelayMs === undefined ? {} : { baseRetryDelayMs: timings.proxyBaseRetryDelayMs }),
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
    // New syncs get schedules at once instead of at the next tick.
    onDeploy: async () => {
      await scheduler?.tickNow();
    },
  });
  return {
    auth,
    proxy,
    records,
    runner,
    attachScheduler(role, overrides = {}) {
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
        ...overrides,
      });
      return scheduler;
    },
  };
}

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
  const { auth, proxy, runner, attachScheduler } = wireServices(
    config,
    database,
    box,
    providers,
    publicUrl,
    onError,
    recordCipher,
  );
  const scheduler = attachScheduler(role);
  return { auth, proxy, runner, scheduler };
}
