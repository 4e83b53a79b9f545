import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { type Attributes, context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  authRequestParts,
  type ConnectionRef,
  canRefresh,
  interpolate,
  proxyBodyOf,
  type ResolvedConnection,
  signRequest,
  signsEachRequest,
} from '@weft/auth';
import { isWeftError, outboundPolicy } from '@weft/core';
import type { ConnectionRowId } from '@weft/db';
import { type Dispatcher, Pool } from 'undici';
import { type BufferedBody, bufferedRequest } from './buffered-request.js';
import { buildUrl, type QueryParams, redactedUrl } from './build-url.js';
import { ConnectionLimiter, type LimitSettings, sleep } from './connection-limiter.js';
import { type CachedCredentials, cachedCredentials } from './credential-cache.js';
import { proxyErrors } from './errors.js';
import { assertAllowedLiteral, guardedLookup, type OutboundPolicy } from './outbound-policy.js';
import { decoded, decodedBuffered, parseBody, parseBuffered, type ResponseType } from './parse-body.js';
import { ProxyHttpError, type ProxyResponse } from './proxy-error.js';
import { proxyMetrics } from './proxy-metrics.js';
import type { ProxyRequestLog } from './request-log.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** Nango's ProxyConfiguration, as scripts pass it to nango.get/post/…/proxy/paginate. */
export interface ProxyRequestConfig {
  method?: HttpMethod;
  endpoint: string;
  params?: QueryParams | string;
  headers?: Record<string, string>;
  data?: unknown;
  baseUrlOverride?: string;
  /** Retries after the first attempt (429, 5xx, network errors). Default 3 for idempotent methods, 0 otherwise. */
  retries?: number;
  /** Extra statuses to retry on. */
  retryOn?: number[];
  responseType?: ResponseType;
  paginate?: Record<string, unknown>;
  decompress?: boolean;
}

export interface ProxyCallContext {
  runId?: string;
  signal?: AbortSignal;
  /**
   * Send the connection's credentials to `baseUrlOverride` even when it is not the provider's
   * origin. Only for callers who could read the credentials anyway (the secret-key `/proxy` API);
   * never for scripts, or an override would carry the token to a host of the script's choosing.
   */
  trustBaseUrlOverride?: boolean;
}

/** Where credentials come from (the auth core's CredentialService). */
export interface CredentialSource {
  getConnection(ref: ConnectionRef): Promise<ResolvedConnection>;
  refreshAfterUnauthorized(ref: ConnectionRef): Promise<ResolvedConnection>;
}

export interface ProxyOptions {
  credentials: CredentialSource;
  policy?: OutboundPolicy;
  log?: ProxyRequestLog;
  /** Limits per connection (key `connection:<id>`) and provider (key `provider:<name>`). */
  limits?: (key: string) => LimitSettings;
  /** Longest single wait between attempts, including Retry-After. @default 60000 */
  maxRetryDelayMs?: number;
  /** Total time one call may spend waiting for retries (the budget). @default 300000 */
  retryBudgetMs?: number;
  /** First backoff delay (doubles each attempt, ±50 % jitter). @default 500 */
  baseRetryDelayMs?: number;
  /** Per-attempt timeout for response headers. @default 60000 */
  timeoutMs?: number;
  /** How long a resolved connection is reused between calls (0 disables). @default 5000 */
  connectionCacheMs?: number;
  /** Extra trusted CA certificates (PEM), e.g. an on-premise API's private CA or a test emulator. */
  tlsCa?: string | string[];
}

const tracer = trace.getTracer('weft-proxy');
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Not passed on to the caller. content-length stays when the body is passed on as received.
const HOP_BY_HOP_KEEPING_LENGTH = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
];
const HOP_BY_HOP = new Set(HOP_BY_HOP_KEEPING_LENGTH);
// A decoded body has neither its original length nor its encoding.
const HOP_BY_HOP_DECODED = new Set([...HOP_BY_HOP_KEEPING_LENGTH, 'content-length', 'content-encoding']);

/** Response headers as one string each, without the names in `skip` (hop-by-hop ones). */
function flatHeaders(
  headers: Record<string, string | string[] | undefined>,
  skip?: ReadonlySet<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || skip?.has(key)) continue;
    out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function retryAfterMs(headers: Record<string, string>, afterNames: string[], atNames: string[]): number | undefined {
  for (const name of afterNames) {
    const value = headers[name.toLowerCase()];
    if (value === undefined) continue;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  for (const name of atNames) {
    const value = Number(headers[name.toLowerCase()]);
    // Reset headers hold epoch seconds (GitHub's x-ratelimit-reset) or milliseconds.
    if (Number.isFinite(value) && value > 0) return Math.max(0, (value > 1e12 ? value : value * 1000) - Date.now());
  }
  return undefined;
}

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * What a resolved connection contributes to every one of its requests, worked out once per
 * connection object (a refresh yields a new object, so a new plan): the templated base URL, retry
 * header names, whether the mode signs each request, and the templated auth headers merged with
 * the defaults. The profile of bench/proxy showed these recomputed per call (templates, URL
 * parsing, spreads) as a visible share of the proxy's own time.
 */
interface ConnectionPlan {
  templateValues: { connectionConfig: Record<string, unknown> };
  providerBase: string | undefined;
  afterNames: string[];
  atNames: string[];
  providerRetryOn: number[];
  signs: boolean;
  refreshable: boolean;
  /** The connection's key in the limiter. */
  limiterKey: string;
  /** The auth mode's headers and query (templated lazily: only requests to the provider's origin need them). */
  auth?: InjectedAuth;
  /** DEFAULT_HEADERS + auth headers, shared by every request without script headers (never mutated). */
  authHeaders?: Record<string, string>;
}
const plans = new WeakMap<ResolvedConnection, ConnectionPlan>();
function planOf(connection: ResolvedConnection): ConnectionPlan {
  let plan = plans.get(connection);
  if (plan === undefined) {
    const provider = connection.provider;
    const templateValues = { connectionConfig: connection.connectionConfig };
    plan = {
      templateValues,
      providerBase: provider.proxy?.base_url ? interpolate(provider.proxy.base_url, templateValues) : undefined,
      afterNames: asList(provider.proxy?.retry?.after).concat(['retry-after']),
      atNames: asList(provider.proxy?.retry?.at),
      // Nango's proxy.retry.error_code: statuses this provider uses for rate limits (GitHub's 403).
      providerRetryOn: (provider.proxy?.retry?.error_code ?? []).map(Number).filter(Number.isInteger),
      signs: signsEachRequest(connection.credentials),
      refreshable: canRefresh(connection.credentials),
      limiterKey: `connection:${connection.id}`,
    };
    plans.set(connection, plan);
  }
  return plan;
}
function authPartsOf(connection: ResolvedConnection): InjectedAuth {
  const plan = planOf(connection);
  plan.auth ??= authRequestParts(connection.provider, connection.credentials, connection.connectionConfig);
  return plan.auth;
}

/** What the auth mode added to a request: removed again on a redirect that leaves its origin. */
type InjectedAuth = { headers: Record<string, string>; query: Record<string, string> };
const NO_AUTH: InjectedAuth = { headers: {}, query: {} };
// Ambient credentials a redirect target never gets, whoever set them (browsers drop these too).
const ALWAYS_STRIPPED = ['authorization', 'proxy-authorization', 'cookie'];

/** The headers without every injected credential header and the ambient ones. */
function withoutCredentials(headers: Record<string, string>, injected: InjectedAuth): Record<string, string> {
  const out = { ...headers };
  for (const name of ALWAYS_STRIPPED) delete out[name];
  for (const name in injected.headers) delete out[name];
  return out;
}

/**
 * Removes injected query credentials from a redirect target: the injected names, and any
 * parameter carrying an injected value under another name (a Location that echoes the key).
 */
function stripInjectedQuery(url: URL, injected: InjectedAuth): void {
  const secrets = new Set(Object.values(injected.query));
  if (secrets.size === 0 || url.search === '') return;
  for (const [key, value] of [...url.searchParams]) {
    if (key in injected.query || secrets.has(value)) url.searchParams.delete(key);
  }
}

/** Only http(s) leaves the proxy: any other scheme is refused at once, never retried. */
function assertHttpScheme(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw proxyErrors.create('WEFT_PROXY_UNSUPPORTED_SCHEME', {
      scheme: url.protocol.replace(/:$/, ''),
      url: redactedUrl(url),
    });
}

/** A request body to sign, read whole (bounded: signing modes are for API calls, not uploads). */
async function bufferedBody(stream: Readable, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > limit)
      throw proxyErrors.create('WEFT_PROXY_INVALID_REQUEST', {
        reason: `this provider signs request bodies; a body over ${limit} bytes cannot be signed`,
      });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** An origin the provider declares as its own (`proxy.trusted_origins`): overrides to it keep credentials. */
function isTrustedOrigin(
  provider: ResolvedConnection['provider'],
  values: { connectionConfig: Record<string, unknown> },
  origin: string,
): boolean {
  for (const template of provider.proxy?.trusted_origins ?? []) {
    const trusted = interpolate(template, values);
    if (trusted && trusted.replace(/\/+$/, '').toLowerCase() === origin.toLowerCase()) return true;
  }
  return false;
}

/** The provider's secondary token whose `proxy_host` is this URL's host (host:port), if any. */
function secondaryTokenFor(
  provider: ResolvedConnection['provider'],
  values: { connectionConfig: Record<string, unknown> },
  url: URL,
): string | undefined {
  for (const spec of provider.secondary_tokens ?? []) {
    if (spec.proxy_host === undefined) continue;
    const host = interpolate(spec.proxy_host, values);
    if (host && host.toLowerCase() === url.host.toLowerCase()) return spec.name;
  }
  return undefined;
}

function secondaryAuth(connection: ResolvedConnection, name: string): typeof NO_AUTH {
  const token = connection.connectionConfig[name];
  // Not obtained (yet): send nothing rather than the primary token to a foreign host.
  return typeof token === 'string' && token !== ''
    ? { headers: { authorization: `Bearer ${token}` }, query: {} }
    : NO_AUTH;
}
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** A JSON-able object a script passed as data (not a stream, buffer or typed array). */
const isPlainData = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && Object.getPrototypeOf(data) === Object.prototype;

const DEFAULT_HEADERS = { 'user-agent': 'weft-proxy', accept: 'application/json, text/plain, */*' };

/** One call's request as its headers are built (and rebuilt per attempt for signing modes). */
interface Outgoing {
  url: URL;
  method: string;
  body: string | Buffer | Readable | undefined;
  scriptHeaders: Record<string, string> | undefined;
  sendsCredentials: boolean;
  secondary: string | undefined;
  /** What the auth mode added on the latest build: a redirect off the origin removes exactly this. */
  injected: InjectedAuth;
}

/**
 * The headers for one attempt, with credentials only where `outgoing` says they go. Synchronous
 * unless the mode signs each request: an await per call showed in bench/proxy's profile.
 */
function headersFor(
  outgoing: Outgoing,
  c: ResolvedConnection,
): Record<string, string> | Promise<Record<string, string>> {
  const { sendsCredentials, secondary, scriptHeaders, url } = outgoing;
  const primary = sendsCredentials && secondary === undefined;
  const injected = !sendsCredentials ? NO_AUTH : secondary !== undefined ? secondaryAuth(c, secondary) : authPartsOf(c);
  outgoing.injected = injected;
  for (const key in injected.query) url.searchParams.set(key, injected.query[key] as string);
  const signs = primary && planOf(c).signs;
  if (primary && scriptHeaders === undefined && !signs) {
    // The common call: the connection's merged headers, built once (authRequestParts lower-cases names).
    const plan = planOf(c);
    plan.authHeaders ??= { ...DEFAULT_HEADERS, ...injected.headers };
    return plan.authHeaders;
  }
  const merged: Record<string, string> = { ...DEFAULT_HEADERS, ...injected.headers, ...scriptHeaders };
  // OAuth 1.0a, TBA, SigV4: signed over this method, URL and body, after the script's headers.
  return signs ? signedHeaders(outgoing, c, merged) : merged;
}

async function signedHeaders(
  outgoing: Outgoing,
  c: ResolvedConnection,
  merged: Record<string, string>,
): Promise<Record<string, string>> {
  const { body, method, url } = outgoing;
  const signingBody = body instanceof Readable ? 'stream' : body instanceof Uint8Array ? Buffer.from(body) : body;
  const signed = await signRequest(c, { method, url, body: signingBody, headers: merged });
  Object.assign(merged, signed);
  // Signatures and session tokens (x-amz-security-token) are credentials too: a redirect off
  // the origin drops them like any injected header.
  outgoing.injected = { headers: { ...outgoing.injected.headers, ...signed }, query: outgoing.injected.query };
  return merged;
}

export interface OutboundProxy {
  request<T = unknown>(
    ref: ConnectionRef,
    config: ProxyRequestConfig,
    ctx?: ProxyCallContext,
  ): Promise<ProxyResponse<T>>;
  /** The resolved connection for a ref (for pagination defaults, getConnection, …). */
  connection(ref: ConnectionRef): Promise<ResolvedConnection>;
  close(): Promise<void>;
}

/**
 * One proxy's state — its options, policy, credential source, pools, limiter and caches — passed
 * explicitly to the steps below, so the call graph reads top to bottom:
 * createProxy → tracedRequest (span, metrics) → requestUntraced (log, body) → attemptLoop
 * (credentials, retries, refresh) → send (policy, redirects).
 */
interface ProxyContext {
  options: ProxyOptions;
  policy: OutboundPolicy;
  /** The source, behind a short cache unless `connectionCacheMs` is 0. */
  credentials: CredentialSource & Partial<Pick<CachedCredentials, 'cached'>>;
  pools: Map<string, Pool>;
  connect: { lookup: never; ca?: string | string[] };
  limiter: ConnectionLimiter;
  origins: Map<string, string>;
  /** Hosts already checked as IP literals (the check parses the address; hosts repeat on every call). */
  checkedHosts: Set<string>;
  maxDelay: number;
  budget: number;
  baseDelay: number;
}

function createContext(options: ProxyOptions): ProxyContext {
  // Weft's one outbound policy (set from the configuration by the entry points) unless given.
  const policy = options.policy ?? outboundPolicy();
  return {
    options,
    policy,
    credentials:
      options.connectionCacheMs === 0
        ? options.credentials
        : cachedCredentials(options.credentials, { ttlMs: options.connectionCacheMs ?? 5_000 }),
    pools: new Map(),
    connect: { lookup: guardedLookup(policy) as never, ...(options.tlsCa ? { ca: options.tlsCa } : {}) },
    limiter: new ConnectionLimiter(options.limits),
    origins: new Map(),
    checkedHosts: new Set(),
    maxDelay: options.maxRetryDelayMs ?? 60_000,
    budget: options.retryBudgetMs ?? 300_000,
    baseDelay: options.baseRetryDelayMs ?? 500,
  };
}

// One keep-alive pool per origin, used directly: measurably cheaper per call than going
// through an Agent (bench/proxy). The guarded lookup checks every address at connect time.
function poolFor(cx: ProxyContext, origin: string): Pool {
  let pool = cx.pools.get(origin);
  if (pool === undefined) {
    pool = new Pool(origin, { connections: 64, keepAliveTimeout: 30_000, connect: cx.connect });
    cx.pools.set(origin, pool);
  }
  return pool;
}

function originOf(cx: ProxyContext, base: string): string {
  let origin = cx.origins.get(base);
  if (origin === undefined) {
    origin = new URL(base).origin;
    if (cx.origins.size > 10_000) cx.origins.clear();
    cx.origins.set(base, origin);
  }
  return origin;
}

/**
 * An answer as `send` returns it: the live body for `responseType: 'stream'` (the /proxy API
 * streams it on), else the body already read whole (scripts' calls: no stream per response).
 */
interface Received {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'] | BufferedBody;
  finalUrl: URL;
}

/** Drop an answer that is not passed on (a redirect, a retried or refreshed attempt). */
function discard(response: Pick<Received, 'body'>): Promise<void> | undefined {
  return response.body instanceof Readable ? response.body.dump() : undefined;
}

async function send(
  cx: ProxyContext,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Buffer | Readable | undefined,
  authOrigin: string | null,
  signal: AbortSignal | undefined,
  buffered: boolean,
  injected: InjectedAuth = NO_AUTH,
): Promise<Received> {
  const { policy, checkedHosts, options } = cx;
  let current = url;
  let currentMethod = method;
  let currentBody = body;
  let currentHeaders = headers;
  let leftOrigin = false;
  for (let hop = 0; ; hop++) {
    assertHttpScheme(current);
    if (!checkedHosts.has(current.hostname)) {
      assertAllowedLiteral(policy, current);
      if (checkedHosts.size < 10_000) checkedHosts.add(current.hostname);
    }
    const pool = poolFor(cx, current.origin);
    const request = {
      path: `${current.pathname}${current.search}`,
      method: currentMethod as Dispatcher.HttpMethod,
      headers: currentHeaders,
      body: currentBody ?? null,
      headersTimeout: options.timeoutMs ?? 60_000,
      bodyTimeout: options.timeoutMs ?? 60_000,
    };
    const response: Omit<Received, 'finalUrl'> = buffered
      ? await bufferedRequest(pool, request, signal)
      : await pool.request(signal ? { ...request, signal } : request);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode) || typeof location !== 'string' || hop >= 5)
      return Object.assign(response, { finalUrl: current });
    await discard(response);
    const next = new URL(location, current);
    if (
      response.statusCode === 303 ||
      ((response.statusCode === 301 || response.statusCode === 302) && currentMethod === 'POST')
    ) {
      currentMethod = 'GET';
      currentBody = undefined;
    }
    // Never carry credentials to another origin (e.g. OneDrive's pre-authenticated download URLs):
    // every header and query value the auth mode injected goes, and stays gone for the rest of
    // the chain, even if it comes back to the origin (a hop we do not control chose that URL).
    if (leftOrigin || next.origin !== authOrigin) {
      if (!leftOrigin) currentHeaders = withoutCredentials(currentHeaders, injected);
      stripInjectedQuery(next, injected);
      leftOrigin = true;
    }
    current = next;
  }
}

async function attemptLoop(
  cx: ProxyContext,
  ref: ConnectionRef,
  config: ProxyRequestConfig,
  ctx: ProxyCallContext,
  method: string,
) {
  const { credentials, limiter, maxDelay, budget, baseDelay } = cx;
  let connection = credentials.cached?.(ref) ?? (await credentials.getConnection(ref));
  const provider = connection.provider;
  const plan = planOf(connection);
  const { templateValues, providerBase } = plan;
  const base = config.baseUrlOverride ?? providerBase;
  if (base === undefined && !/^https?:\/\//i.test(config.endpoint)) {
    throw proxyErrors.create('WEFT_PROXY_NO_BASE_URL', { provider: connection.providerName });
  }
  const params =
    typeof config.params === 'string' ? Object.fromEntries(new URLSearchParams(config.params)) : config.params;
  const url = buildUrl(base, config.endpoint, params);
  // Credentials only go where they belong: the provider's own origin (or a trusted caller's
  // override), else a secondary token's declared host (e.g. SharePoint), else nowhere.
  const trustedBase =
    config.baseUrlOverride !== undefined &&
    (ctx.trustBaseUrlOverride || isTrustedOrigin(provider, templateValues, originOf(cx, config.baseUrlOverride)))
      ? config.baseUrlOverride
      : providerBase;
  const primaryOrigin = trustedBase === undefined ? null : originOf(cx, trustedBase);
  const origin = url.origin;
  const secondary = origin === primaryOrigin ? undefined : secondaryTokenFor(provider, templateValues, url);
  const authOrigin = origin === primaryOrigin || secondary !== undefined ? origin : null;
  const sendsCredentials = authOrigin !== null;
  let body: string | Buffer | Readable | undefined;
  let scriptHeaders: Record<string, string> | undefined;
  for (const key in config.headers) {
    scriptHeaders ??= {};
    scriptHeaders[key.toLowerCase()] = String(config.headers[key]);
  }
  // The provider's `proxy.body` (credentials some APIs want in the JSON body, e.g. Mandrill's
  // key) joins a JSON body, or is the body, of writes to its own origin (Nango's mergeInjectedBody).
  const injectedBody =
    sendsCredentials && secondary === undefined && BODY_METHODS.has(method)
      ? proxyBodyOf(provider, connection.credentials, connection.connectionConfig)
      : undefined;
  if (injectedBody !== undefined && (config.data === undefined || config.data === null || isPlainData(config.data))) {
    body = JSON.stringify({
      ...((config.data as Record<string, unknown> | null | undefined) ?? {}),
      ...injectedBody,
    });
    scriptHeaders ??= {};
    scriptHeaders['content-type'] ??= 'application/json';
  } else if (config.data !== undefined && config.data !== null && method !== 'GET' && method !== 'HEAD') {
    if (typeof config.data === 'string' || Buffer.isBuffer(config.data) || config.data instanceof Readable)
      body = config.data;
    else if (config.data instanceof Uint8Array) body = Buffer.from(config.data);
    else {
      body = JSON.stringify(config.data);
      scriptHeaders ??= {};
      scriptHeaders['content-type'] ??= 'application/json';
    }
  }
  // Signing modes (OAuth 1.0a form parameters, SigV4 payload hash) sign the body: read it first.
  if (body instanceof Readable && plan.signs) body = await bufferedBody(body);
  const replayable = !(body instanceof Readable);
  const buffered = config.responseType !== 'stream';
  const retries = config.retries ?? (IDEMPOTENT.has(method) ? 3 : 0);
  const { afterNames, atNames, providerRetryOn } = plan;
  const outgoing: Outgoing = { url, method, body, scriptHeaders, sendsCredentials, secondary, injected: NO_AUTH };
  const first = headersFor(outgoing, connection);
  let headers = first instanceof Promise ? await first : first;
  const attempts: Array<{ status: number | null; error?: string; waitedMs: number }> = [];
  let refreshed = false;
  let waited = 0;
  const limiterKey = plan.limiterKey;
  for (;;) {
    // A fresh nonce and timestamp per attempt: providers reject a replayed OAuth 1.0a signature.
    if (attempts.length > 0 && planOf(connection).signs) headers = await headersFor(outgoing, connection);
    let response: Received | undefined;
    let failure: string | undefined;
    try {
      const waiting = limiter.acquire(limiterKey, ctx.signal);
      if (waiting !== undefined) await waiting;
      try {
        response = await send(cx, url, method, headers, body, authOrigin, ctx.signal, buffered, outgoing.injected);
      } finally {
        limiter.release(limiterKey);
      }
    } catch (error) {
      if (isWeftError(error) || ctx.signal?.aborted) throw error;
      const cause = (error as { cause?: unknown }).cause;
      if (isWeftError(cause)) throw cause;
      failure = (error as Error).message || String(error);
    }
    const status = response?.statusCode ?? null;
    if (response && status === 401 && !refreshed && sendsCredentials && planOf(connection).refreshable) {
      await discard(response);
      refreshed = true;
      connection = await credentials.refreshAfterUnauthorized(ref);
      headers = await headersFor(outgoing, connection);
      attempts.push({ status, waitedMs: 0 });
      continue;
    }
    const retryable =
      failure !== undefined ||
      status === 429 ||
      (status !== null && status >= 500) ||
      (status !== null && (config.retryOn ?? providerRetryOn).includes(status));
    if (!retryable && response) {
      attempts.push({ status, waitedMs: 0 });
      return { response, connection, attempts, url };
    }
    const hint = response ? retryAfterMs(flatHeaders(response.headers), afterNames, atNames) : undefined;
    const attemptNumber = attempts.length - (refreshed ? 1 : 0);
    const delay = Math.min(hint ?? baseDelay * 2 ** attemptNumber * (0.5 + Math.random()), maxDelay);
    attempts.push({ status, ...(failure ? { error: failure } : {}), waitedMs: Math.round(delay) });
    const canRetry =
      replayable && attemptNumber < retries && waited + delay <= budget && (hint === undefined || hint <= maxDelay);
    if (!canRetry) {
      if (response && failure === undefined) return { response, connection, attempts, url };
      throw proxyErrors.create(
        'WEFT_PROXY_RETRIES_EXHAUSTED',
        { method, url: redactedUrl(url), attempts: attempts.length, reason: failure ?? `HTTP ${status}` },
        { attempts },
      );
    }
    if (response) await discard(response);
    if (status === 429) limiter.pause(limiterKey, Date.now() + delay);
    waited += delay;
    await sleep(delay, ctx.signal);
  }
}

type Answer = { headers: Record<string, string>; data: unknown };

/**
 * The caller's view of an answer: headers without hop-by-hop ones, the body decoded
 * (Content-Encoding, unless `decompress: false`) and parsed as `responseType` asks. An error
 * answer's body is read as text even when the call asked for a stream: it goes into the
 * ProxyHttpError. A body read whole and not encoded is parsed without a promise.
 */
function answerOf(response: Received, config: ProxyRequestConfig): Answer | Promise<Answer> {
  const { body, statusCode } = response;
  const header = response.headers['content-encoding'];
  const encoding =
    config.decompress === false || header === undefined
      ? undefined
      : Array.isArray(header)
        ? header.join(', ')
        : header;
  const responseType =
    config.responseType === 'stream' && (statusCode < 200 || statusCode >= 300)
      ? 'text'
      : (config.responseType ?? 'json');
  let stream: Readable | undefined;
  if (body instanceof Readable) stream = encoding === undefined ? body : decoded(body, encoding);
  else if (encoding !== undefined) stream = decodedBuffered(body, encoding);
  // A decoded body has neither its original length nor its encoding.
  const headers = flatHeaders(
    response.headers,
    stream === undefined || stream === body ? HOP_BY_HOP : HOP_BY_HOP_DECODED,
  );
  if (stream === undefined)
    return { headers, data: parseBuffered(body as BufferedBody, headers['content-type'], responseType) };
  return parseBody(stream, headers['content-type'], responseType).then((data) => ({ headers, data }));
}

/** What the request log gets for a call, filled in as the call learns it. */
interface Logged {
  status: number | null;
  attempts: number;
  url: string;
  method: string;
  connectionRowId: ConnectionRowId | null;
  errorCode: string | null;
}

async function requestUntraced<T>(
  cx: ProxyContext,
  ref: ConnectionRef,
  config: ProxyRequestConfig,
  ctx: ProxyCallContext,
  method: string,
  started: number,
): Promise<ProxyResponse<T>> {
  const { options } = cx;
  const logged: Logged = {
    status: null,
    attempts: 1,
    url: config.endpoint,
    method,
    connectionRowId: null,
    errorCode: null,
  };
  try {
    const { response, connection, attempts, url } = await attemptLoop(cx, ref, config, ctx, method);
    logged.status = response.statusCode;
    logged.attempts = attempts.length;
    logged.url = redactedUrl(url);
    logged.connectionRowId = connection.id;
    const answer = answerOf(response, config);
    const { headers, data } = answer instanceof Promise ? await answer : answer;
    if (response.statusCode >= 200 && response.statusCode < 300)
      return { status: response.statusCode, headers, data: data as T };
    const error = new ProxyHttpError(
      method,
      redactedUrl(url),
      { status: response.statusCode, headers, data },
      attempts,
    );
    logged.errorCode = error.code;
    throw error;
  } catch (error) {
    if (isWeftError(error) && logged.errorCode === null) {
      logged.errorCode = error.code;
      const attempts = (error.details as { attempts?: unknown[] } | undefined)?.attempts;
      if (Array.isArray(attempts)) logged.attempts = attempts.length;
    }
    throw error;
  } finally {
    // Synchronous unless the log is over its bound (Postgres behind): then the call waits for it.
    const backlog = options.log?.add({
      environmentId: ref.environmentId,
      connectionRowId: logged.connectionRowId,
      providerConfigKey: ref.providerConfigKey,
      runId: ctx.runId ?? null,
      method: logged.method,
      url: logged.url,
      status: logged.status,
      durationMs: Math.round(performance.now() - started),
      attempts: logged.attempts,
      errorCode: logged.errorCode,
    });
    if (backlog !== undefined) await backlog;
  }
}

/** One call in an OTel span, counted in the proxy's metrics. */
async function tracedRequest<T>(
  cx: ProxyContext,
  ref: ConnectionRef,
  config: ProxyRequestConfig,
  ctx: ProxyCallContext,
): Promise<ProxyResponse<T>> {
  const method = (config.method ?? 'GET').toUpperCase();
  const attributes: Attributes = {
    'http.request.method': method,
    'weft.provider_config_key': ref.providerConfigKey,
    'weft.connection_id': ref.connectionId,
  };
  if (ctx.runId) attributes['weft.run_id'] = ctx.runId;
  const span = tracer.startSpan('proxy.request', { attributes });
  const started = performance.now();
  let status = 0;
  try {
    // Only a recording span becomes the active one (parent of the spans the call's own work
    // starts): without a tracing SDK, or for a call the sampler drops, a context object and a
    // `context.with` per call were a visible share of bench/proxy's profile, for nothing.
    const response = await (span.isRecording()
      ? context.with(
          trace.setSpan(context.active(), span),
          requestUntraced<T>,
          undefined,
          cx,
          ref,
          config,
          ctx,
          method,
          started,
        )
      : requestUntraced<T>(cx, ref, config, ctx, method, started));
    status = response.status;
    span.setAttribute('http.response.status_code', response.status);
    return response;
  } catch (error) {
    status = (error as { response?: { status?: number } }).response?.status ?? 0;
    if (status !== 0) span.setAttribute('http.response.status_code', status);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
    const metrics = proxyMetrics();
    const labels = {
      'weft.provider_config_key': ref.providerConfigKey,
      'http.request.method': method,
      'http.response.status_code': status,
    };
    metrics.requests.add(1, labels);
    metrics.duration.record(performance.now() - started, labels);
  }
}

async function closeProxy(cx: ProxyContext): Promise<void> {
  await cx.options.log?.flush();
  await Promise.all([...cx.pools.values()].map((p) => p.close()));
}

/**
 * The one outbound path: templated base URL, credentials injected host-side, refresh-and-retry
 * once on 401, retries with backoff honouring Retry-After for 429/5xx/network errors within a
 * budget, per-connection limits, SSRF guard on every hop (redirects included), streaming bodies
 * both ways, and a request log without secrets.
 */
export function createProxy(options: ProxyOptions): OutboundProxy {
  const cx = createContext(options);
  return {
    connection: (ref) => cx.credentials.getConnection(ref),
    request: <T>(ref: ConnectionRef, config: ProxyRequestConfig, ctx: ProxyCallContext = {}) =>
      tracedRequest<T>(cx, ref, config, ctx),
    close: () => closeProxy(cx),
  };
}
