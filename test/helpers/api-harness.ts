import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type AuthService, createAuthService, loadProviders, type ProviderCatalog } from '@weft/auth';
import { createSecretBox, resolveConfig, type SecretBox } from '@weft/core';
import { ensureEnvironment, environmentName, freePort, listEnvironmentVariables } from '@weft/db';
import { createProxy, type OutboundProxy, ProxyRequestLog } from '@weft/proxy';
import { createRecordCipher, createRecordStore, deriveRecordsKey, enqueueWebhookEvent } from '@weft/records';
import { connectionEventHooks, createRunner, type Runner } from '@weft/runner';
import {
  createCheckpointStore,
  createScheduler,
  type Scheduler,
  type SchedulerOptions,
  webhookUrlResolver,
} from '@weft/scheduler';
import { type BuildServerOptions, buildServer } from '@weft/server';
import {
  createGraphWebhookRouter,
  createSubscriptionManager,
  ensureDeployedSubscriptions,
  graphProviderCheck,
  type SubscriptionManager,
  webhookHandlerCheck,
  withSubscriptionHooks,
} from '@weft/subscriptions';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from './database.js';

/** Parsed JSON of a test response; tests assert its shape, so it is deliberately loose. */
// biome-ignore lint/suspicious/noExplicitAny: test-side reading of arbitrary response bodies
export type Body = any;

export interface ApiHarness {
  db: TestDatabase;
  app: FastifyInstance;
  box: SecretBox;
  /** Base URL of the listening server (loopback, random port). */
  url: string;
  environmentId: number;
  secretKey: string;
  auth: AuthService;
  /** The proxy engine behind `/proxy/*` (loopback allowed, fast retries). */
  proxy: OutboundProxy;
  /** The script runtime behind /deploy, /action/trigger and /dryrun. */
  runner: Runner;
  /** Present when started with `scheduler` options. */
  scheduler: Scheduler | undefined;
  /** Microsoft Graph change notification subscriptions (created on connect and deploy). */
  subscriptions: SubscriptionManager;
  /** Errors of background steps (subscription creation, renewal), for tests to assert on. */
  backgroundErrors: unknown[];
  /** Request log lines (only with `captureLogs`). */
  logs: string[];
  /** The encryption key (hex), for helper processes that must read the same credentials. */
  boxKeyHex: string;
  /** fetch against the API with the secret key. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Like `api`, returning the parsed body. */
  get(path: string, init?: RequestInit & { json?: unknown }): Promise<Body>;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** @default the repository's providers.yaml */
  providers?: ProviderCatalog;
  refreshMarginSeconds?: number;
  /** Start a scheduler (with these settings) behind the /sync/* routes. */
  scheduler?: Partial<Omit<SchedulerOptions, 'pool' | 'connectionString' | 'runner'>>;
  /** Keep the server's request log lines (LOG_LEVEL info) in `logs`, to check nothing secret is logged. */
  captureLogs?: boolean;
  /** Extra settings for the server's config (as environment variables), e.g. WEFT_HEARTBEAT_TIMEOUT_SECONDS. */
  env?: Record<string, string>;
  /** Seal record payloads at rest (as WEFT_RECORDS_ENCRYPTION=on does), with keys derived from the box key. */
  recordsEncryption?: boolean;
  /** Check every answer against its route contract; mismatches are reported here. */
  onContractViolation?: BuildServerOptions['onContractViolation'];
}

const repoProviders = new URL('../../providers.yaml', import.meta.url).pathname;

/** A real Weft API on loopback over a fresh database, with its environment's secret key. */
export async function startApi(options: ApiOptions = {}): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const boxKey = randomBytes(32);
  const box = createSecretBox(boxKey);
  const recordCipher = options.recordsEncryption
    ? createRecordCipher({
        current: deriveRecordsKey(boxKey, 'records-encryption'),
        hashKey: deriveRecordsKey(boxKey, 'records-hash'),
      })
    : undefined;
  const { environment, createdSecretKey } = await ensureEnvironment(db.pool, box);
  const secretKey = createdSecretKey ?? '';
  // The OAuth redirect URI must be known before listening, so take a free port first.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const providers = options.providers ?? (await loadProviders(repoProviders));
  const auth = createAuthService({
    pool: db.pool,
    box,
    providers,
    publicUrl: url,
    ...(options.refreshMarginSeconds === undefined ? {} : { refreshMarginSeconds: options.refreshMarginSeconds }),
    refreshRetryDelayMs: 10,
    onEvent: async (event) => {
      await enqueueWebhookEvent(db.pool, event);
    },
  });
  const proxy = createProxy({
    credentials: auth,
    policy: { allowPrivateNetwork: true },
    log: new ProxyRequestLog(db.pool, { intervalMs: 10 }),
    baseRetryDelayMs: 20,
  });
  let scheduler: Scheduler | undefined;
  const records = createRecordStore({ pool: db.pool, ...(recordCipher ? { cipher: recordCipher } : {}) });
  const backgroundErrors: unknown[] = [];
  const subscriptions = createSubscriptionManager({
    pool: db.pool,
    proxy,
    scripts: (environmentId, providerConfigKey) => runner.scriptsConfig(environmentId, providerConfigKey),
    connections: (environmentId, providerConfigKey) => auth.listConnections(environmentId, { providerConfigKey }),
    notificationUrl: async (environmentId, providerConfigKey) =>
      `${url}/webhook/${encodeURIComponent((await environmentName(db.pool, environmentId)) ?? '')}/${encodeURIComponent(providerConfigKey)}`,
    onError: (error) => backgroundErrors.push(error),
  });
  // As `weft start` wires it: event scripts run around each connection's life, then its Graph subscriptions.
  auth.setConnectionHooks(
    withSubscriptionHooks(
      connectionEventHooks({ pool: db.pool, checkpoints: createCheckpointStore(db.pool), proxy, records, auth }),
      subscriptions,
      (error) => backgroundErrors.push(error),
    ),
  );
  const runner = createRunner({
    pool: db.pool,
    checkpoints: createCheckpointStore(db.pool),
    proxy,
    records,
    auth,
    environmentVariables: (environmentId) => listEnvironmentVariables(db.pool, box, environmentId),
    webhookUrl: webhookUrlResolver(db.pool, url),
    onDeploy: async (syncs) => {
      await scheduler?.tickNow();
      await ensureDeployedSubscriptions(subscriptions, syncs);
    },
  });
  if (options.scheduler) {
    scheduler = createScheduler({ pool: db.pool, connectionString: db.url, runner, ...options.scheduler });
    // As `weft start` wires it: Microsoft Graph's change notifications go through the Graph router.
    scheduler.webhookRouters.register(
      createGraphWebhookRouter({
        manager: subscriptions,
        isGraphProvider: graphProviderCheck(providers),
        hasHandler: webhookHandlerCheck((environmentId, key) => runner.scriptsConfig(environmentId, key)),
      }),
    );
  }
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const app = await buildServer(
    {
      config: resolveConfig({ ...options.env, LOG_LEVEL: options.captureLogs ? 'info' : 'silent' }),
      pool: db.pool,
      box,
      publicUrl: url,
      auth,
      proxy,
      runner,
      ...(scheduler ? { scheduler } : {}),
      ...(recordCipher ? { recordCipher } : {}),
    },
    { logStream, ...(options.onContractViolation ? { onContractViolation: options.onContractViolation } : {}) },
  );
  await app.listen({ host: '127.0.0.1', port });
  await scheduler?.start();
  const api: ApiHarness['api'] = (path, init = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${secretKey}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
  };
  return {
    db,
    app,
    box,
    url,
    environmentId: environment.id,
    secretKey,
    auth,
    proxy,
    runner,
    scheduler,
    subscriptions,
    backgroundErrors,
    logs,
    boxKeyHex: boxKey.toString('hex'),
    api,
    async get(path, init) {
      return (await api(path, init)).json();
    },
    async close() {
      await scheduler?.stop();
      await app.close();
      await proxy.close();
      await db.drop();
    },
  };
}
