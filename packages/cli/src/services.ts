import { type AuthService, createAuthService, type ProviderCatalog } from '@weft/auth';
import { type SecretBox, setOutboundPolicy, type WeftConfig } from '@weft/core';
import { type Database, listEnvironmentVariables } from '@weft/db';
import { createProxy, type OutboundProxy, ProxyRequestLog } from '@weft/proxy';
import { createRecordStore, enqueueWebhookEvent, type RecordCipher, type RecordStore } from '@weft/records';
import { connectionEventHooks, createRunner, type Runner } from '@weft/runner';
import {
  catalogueRuleRouter,
  createCheckpointStore,
  createScheduler,
  type Scheduler,
  type SchedulerOptions,
  WebhookRouterRegistry,
  webhookUrlResolver,
} from '@weft/scheduler';
import {
  createGraphWebhookRouter,
  createSubscriptionManager,
  ensureDeployedSubscriptions,
  graphProviderCheck,
  type SubscriptionManager,
  webhookHandlerCheck,
  withSubscriptionHooks,
} from '@weft/subscriptions';

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
  /** Microsoft Graph change-notification subscriptions (created with connections and deploys). */
  subscriptions: SubscriptionManager;
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
 * The production wiring of auth, proxy, records, runner and subscriptions (`weft start`,
 * `weft worker`, and the test harness, so the tests exercise this wiring rather than a copy of it).
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
  // One outbound policy for the process: the proxy, token endpoints, verification, webhooks, alerts.
  const outbound = {
    allowPrivateNetwork: config.WEFT_ALLOW_PRIVATE_NETWORK,
    allowedHosts: config.WEFT_PROXY_ALLOWED_HOSTS,
  };
  setOutboundPolicy(outbound);
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
    policy: outbound,
    log: proxyLog,
    ...(timings.proxyBaseRetryDelayMs === undefined ? {} : { baseRetryDelayMs: timings.proxyBaseRetryDelayMs }),
  });
  let scheduler: Scheduler | undefined;
  const records = createRecordStore({ pool, ...(recordCipher ? { cipher: recordCipher } : {}) });
  // Checkpoints are the scheduler's (a sync's run lifecycle); the runner is handed its store.
  const checkpoints = createCheckpointStore(pool);
  const webhookUrl = webhookUrlResolver(pool, publicUrl);
  // Microsoft Graph change notification subscriptions of syncs that declare Graph resources.
  const subscriptions = createSubscriptionManager({
    pool,
    proxy,
    scripts: (environmentId, providerConfigKey) => runner.scriptsConfig(environmentId, providerConfigKey),
    connections: (environmentId, providerConfigKey) => auth.listConnections(environmentId, { providerConfigKey }),
    notificationUrl: async (environmentId, providerConfigKey) => {
      const url = await webhookUrl(environmentId, providerConfigKey);
      if (url === null) throw new Error(`environment ${environmentId} has no name`);
      return url;
    },
    onError,
  });
  // Event scripts (validate-connection, post-connection-creation, pre-connection-deletion), then
  // the connection's Graph subscriptions (created with it, deleted before it).
  auth.setConnectionHooks(
    withSubscriptionHooks(connectionEventHooks({ pool, checkpoints, proxy, records, auth }), subscriptions, onError),
  );
  // Inbound provider webhooks: specific routers first (the first that handles a provider wins),
  // then the declarative rules of providers.yaml (webhook_routing, or Nango's script equivalents).
  const webhookRouters = new WebhookRouterRegistry()
    .register(
      createGraphWebhookRouter({
        manager: subscriptions,
        isGraphProvider: graphProviderCheck(providers),
        hasHandler: webhookHandlerCheck((environmentId, key) => runner.scriptsConfig(environmentId, key)),
      }),
    )
    .register(catalogueRuleRouter(providers));
  const runner = createRunner({
    pool,
    checkpoints,
    proxy,
    records,
    auth,
    validation: config.WEFT_RECORDS_VALIDATION,
    environmentVariables: (environmentId) => listEnvironmentVariables(pool, box, environmentId),
    actionConcurrency: config.WEFT_ACTION_CONCURRENCY,
    actionQueueLimit: config.WEFT_ACTION_QUEUE_LIMIT,
    // nango.getWebhookURL(): the public inbound-webhook route of the script's integration.
    webhookUrl,
    isolatePoolSize: config.WEFT_ISOLATE_POOL_SIZE,
    // New syncs get schedules at once instead of at the next tick, and their Graph subscriptions.
    onDeploy: async (syncs) => {
      await scheduler?.tickNow();
      await ensureDeployedSubscriptions(subscriptions, syncs);
    },
  });
  return {
    auth,
    proxy,
    records,
    runner,
    subscriptions,
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
        webhookRouters,
        onWebhookLog: (level, message) => {
          if (level !== 'info') onError(new Error(message));
        },
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
  const { auth, proxy, runner, subscriptions, attachScheduler } = wireServices(
    config,
    database,
    box,
    providers,
    publicUrl,
    onError,
    recordCipher,
  );
  const scheduler = attachScheduler(role);
  return { auth, proxy, runner, scheduler, subscriptions };
}
