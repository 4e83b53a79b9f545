import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type AuthService, loadProviders, type ProviderCatalog } from '@weft/auth';
import { wireServices } from '@weft/cli';
import { createSecretBox, resolveConfig, type SecretBox } from '@weft/core';
import { ensureEnvironment, freePort } from '@weft/db';
import type { OutboundProxy } from '@weft/proxy';
import { createRecordCipher, deriveRecordsKey } from '@weft/records';
import type { Runner } from '@weft/runner';
import type { Scheduler, SchedulerOptions } from '@weft/scheduler';
import { type BuildServerOptions, buildServer } from '@weft/server';
import type { SubscriptionManager } from '@weft/subscriptions';
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
  const config = resolveConfig({
    // Fakes and upstreams listen on loopback.
    WEFT_ALLOW_PRIVATE_NETWORK: 'true',
    ...(options.refreshMarginSeconds === undefined
      ? {}
      : { WEFT_TOKEN_REFRESH_MARGIN_SECONDS: String(options.refreshMarginSeconds) }),
    ...options.env,
    LOG_LEVEL: options.captureLogs ? 'info' : 'silent',
  });
  // The production wiring (cli/src/services.ts), with shorter back-off so retry tests are quick.
  const backgroundErrors: unknown[] = [];
  const { auth, proxy, runner, subscriptions, attachScheduler } = wireServices(
    config,
    db,
    box,
    options.providers ?? (await loadProviders(repoProviders)),
    url,
    (error) => {
      backgroundErrors.push(error);
      process.stderr.write(`harness: ${(error as Error).message}\n`);
    },
    recordCipher,
    { refreshRetryDelayMs: 10, proxyBaseRetryDelayMs: 20, proxyLogIntervalMs: 10 },
  );
  // The scheduler's own errors and inbound-webhook refusals (tests provoke both) are not background errors.
  const scheduler: Scheduler | undefined = options.scheduler
    ? attachScheduler('all', {
        onError: (error) => process.stderr.write(`harness scheduler: ${(error as Error).message}\n`),
        onWebhookLog: () => {},
        ...options.scheduler,
      })
    : undefined;
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const app = await buildServer(
    {
      config,
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
