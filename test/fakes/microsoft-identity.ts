import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, type JWTPayload, SignJWT } from 'jose';

/**
 * A fake of the Microsoft identity platform v2.0 endpoints, following the public docs
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, …-client-creds-grant-flow,
 * …/reference-error-codes): `/{tenant}/oauth2/v2.0/authorize` and `/{tenant}/oauth2/v2.0/token` for
 * common, consumers, organizations or a tenant id/domain; authorization code (+PKCE S256/plain),
 * refresh_token (rotating) and client_credentials grants; refresh tokens only with `offline_access`;
 * id tokens only with `openid`; Microsoft's error body shape (`error`, `error_description` with AADSTS
 * codes, `error_codes`, `timestamp`, `trace_id`, `correlation_id`).
 *
 * There is no UI: the user consents automatically unless `denyNext()` was called. Access tokens are
 * HS256 JWTs signed with a per-fake key; `verifyAccessToken` checks signature and lifetime against the
 * fake's clock (`now` option), so tests can expire tokens without sleeping.
 */

export interface MicrosoftClient {
  /** Confidential client secret; omit for a public client (PKCE, no secret). */
  secret?: string;
  /** Exact redirect URIs registered for the app; `'*'` accepts any http(s) URI. */
  redirectUris: string[];
}

export interface MicrosoftUser {
  oid: string;
  name: string;
  preferredUsername: string;
}

export interface MicrosoftIdentityOptions {
  /** Registered apps by client id. @default { [DEFAULT_MICROSOFT_CLIENT.id]: … } */
  clients?: Record<string, MicrosoftClient>;
  /** Home tenant of the user / apps (used for `tid` unless the path names a tenant GUID). */
  tenantId?: string;
  /** The signed-in user (delegated tokens, id tokens, Graph `/me`). */
  user?: Partial<MicrosoftUser>;
  /** Lifetime of issued access tokens in seconds. @default 3600 */
  accessTokenLifetimeSeconds?: number;
  /** Clock in epoch milliseconds, for expiry without sleeping. @default Date.now */
  now?: () => number;
}

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

export interface IssuedToken {
  grantType: GrantType;
  clientId: string;
  tenant: string;
  scope: string;
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  claims: AccessTokenClaims;
}

export interface AccessTokenClaims extends JWTPayload {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  tid: string;
  oid: string;
  appid: string;
  scp?: string;
  roles?: string[];
  idtyp?: 'app' | 'user';
  ver: '1.0';
}

export interface ConsentPrompt {
  clientId: string;
  tenant: string;
  scopes: string[];
  /** `prompt` means `prompt=consent` forced it; `new-scopes` means scopes not yet granted were requested. */
  reason: 'prompt' | 'new-scopes';
}

export interface MicrosoftIdentityFake {
  url: string;
  /** Home tenant id used in `tid`/`iss`. */
  tenantId: string;
  user: MicrosoftUser;
  /** The fake's clock (epoch ms). */
  now(): number;
  /** Token requests by grant type (assert single-flight refreshes against it). */
  tokenRequests: Record<string, number>;
  /** Authorize requests seen, with their query (prompt, scope, tenant, …). */
  authorizeRequests: Array<{ tenant: string; params: URLSearchParams }>;
  /** Every successful token response, oldest first. */
  issued: IssuedToken[];
  /** Times the (imaginary) consent screen was shown. */
  consentPrompts: ConsentPrompt[];
  /** Scopes the user has granted per client id. */
  consents: Map<string, Set<string>>;
  /** Replace the scopes the user has granted to a client (empty array = no consent yet). */
  setConsent(clientId: string, scopes: string[]): void;
  /** Next authorize answers error=access_denied (the user clicked "Cancel"). */
  denyNext(): void;
  /** Make a refresh token unusable (invalid_grant AADSTS70000), as when the user revokes consent. */
  revoke(refreshToken: string): void;
  /** Alias of `revoke`. */
  revokeRefreshToken(refreshToken: string): void;
  /** Revoke every refresh token of a client (or all clients). */
  revokeAll(clientId?: string): void;
  /** Make the next `count` token requests answer HTTP 503 (transient). */
  failNextTokenRequests(count: number): void;
  /** Delay every token response (to widen race windows in single-flight tests). */
  tokenDelayMs: number;
  /** Lifetime of access tokens issued from now on. @default 3600 */
  accessTokenLifetimeSeconds: number;
  /** Claims of a token this fake issued whose signature is valid and that is within nbf..exp, else null. */
  verifyAccessToken(token: string): AccessTokenClaims | null;
  close(): Promise<void>;
}

export const DEFAULT_MICROSOFT_CLIENT = {
  id: '3b9f1d2e-6c1a-4b7e-9d15-0f8e2a7c4d61',
  secret: 'fake~client~secret',
  redirectUri: 'http://127.0.0.1/oauth/callback',
} as const;

/** Tenant id Microsoft uses for personal (MSA) accounts. */
export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Tenant ids, verified domains and (for tests) short tenant names; rejects e.g. unresolved `${…}` templates. */
const TENANT_NAME = /^[a-z0-9][a-z0-9.-]*$/i;
const CODE_LIFETIME_MS = 10 * 60_000;
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  tenant: string;
  challenge: string | null;
  challengeMethod: 'S256' | 'plain';
  nonce: string | null;
  expiresAt: number;
}

interface RefreshGrant {
  clientId: string;
  scope: string;
  tenant: string;
}

class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    description: string,
  ) {
    super(description);
  }
}

/** Microsoft's `timestamp` format: `2016-01-09 02:02:12Z`. */
function aadTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}Z`;
}

function sendAadError(res: ServerResponse, err: AadError, nowMs: number): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = aadTimestamp(nowMs);
  const body = {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
  };
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    'x-ms-request-id': traceId,
  };
  if (err.status === 401) headers['www-authenticate'] = 'Basic realm="login.microsoftonline.com"';
  res.writeHead(err.status, headers).end(JSON.stringify(body));
}

function missing(name: string): AadError {
  return new AadError(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function splitScopes(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s !== '');
}

function isResourceScope(s: string): boolean {
  return s.startsWith('https://') || s.startsWith('api://');
}

/** `https://storage.azure.com/.default` → `https://storage.azure.com`; bare Graph scopes → Graph. */
export function audienceOfScope(scope: string): string {
  const resource = splitScopes(scope).find(isResourceScope);
  if (resource !== undefined) return resource.replace(/\/[^/]*$/, '');
  return 'https://graph.microsoft.com';
}

/** Scope string as Microsoft echoes it back (the granted scopes, without `offline_access`). */
function grantedScope(scope: string): string {
  return splitScopes(scope)
    .filter((s) => s !== 'offline_access')
    .join(' ');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function validTenant(tenant: string): boolean {
  return ['common', 'consumers', 'organizations'].includes(tenant) || GUID.test(tenant) || TENANT_NAME.test(tenant);
}

export async function startMicrosoftIdentityFake(
  options: MicrosoftIdentityOptions = {},
): Promise<MicrosoftIdentityFake> {
  const clients: Record<string, MicrosoftClient> = options.clients ?? {
    [DEFAULT_MICROSOFT_CLIENT.id]: {
      secret: DEFAULT_MICROSOFT_CLIENT.secret,
      redirectUris: [DEFAULT_MICROSOFT_CLIENT.redirectUri],
    },
  };
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const user: MicrosoftUser = {
    oid: options.user?.oid ?? '00000000-0000-0000-0000-000000000001',
    name: options.user?.name ?? 'Megan Bowen',
    preferredUsername: options.user?.preferredUsername ?? 'meganb@contoso.onmicrosoft.com',
  };
  const clock = options.now ?? Date.now;
  const key = randomBytes(32);
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, RefreshGrant>();
  let deny = false;
  let failures = 0;

  function tidFor(tenant: string): string {
    if (GUID.test(tenant)) return tenant.toLowerCase();
    if (tenant === 'consumers') return CONSUMERS_TENANT_ID;
    return tenantId;
  }

  const fake: MicrosoftIdentityFake = {
    url: '',
    tenantId,
    user,
    now: () => clock(),
    tokenRequests: {},
    authorizeRequests: [],
    issued: [],
    consentPrompts: [],
    consents: new Map(),
    setConsent(clientId, scopes) {
      fake.consents.set(clientId, new Set(scopes));
    },
    denyNext() {
      deny = true;
    },
    revoke(token) {
      refreshTokens.delete(token);
    },
    revokeRefreshToken(token) {
      refreshTokens.delete(token);
    },
    revokeAll(clientId) {
      for (const [token, grant] of refreshTokens) {
        if (clientId === undefined || grant.clientId === clientId) refreshTokens.delete(token);
      }
    },
    failNextTokenRequests(count) {
      failures = count;
    },
    tokenDelayMs: 0,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
    verifyAccessToken(token) {
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      const [header, payload, signature] = parts as [string, string, string];
      const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
      const actual = Buffer.from(signature, 'base64url');
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
      let claims: AccessTokenClaims;
      try {
        claims = decodeJwt(token) as AccessTokenClaims;
      } catch {
        return null;
      }
      const nowSeconds = Math.floor(clock() / 1000);
      if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return null;
      if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) return null;
      return claims;
    },
    close: async () => {},
  };

  async function issue(
    grantType: GrantType,
    clientId: string,
    scope: string,
    tenant: string,
    extras: { refresh: boolean; nonce?: string | null },
  ): Promise<Record<string, unknown>> {
    const now = Math.floor(clock() / 1000);
    const lifetime = fake.accessTokenLifetimeSeconds;
    const tid = tidFor(tenant);
    const app = grantType === 'client_credentials';
    const claims: AccessTokenClaims = {
      aud: audienceOfScope(scope),
      iss: `https://sts.windows.net/${tid}/`,
      iat: now,
      nbf: now,
      exp: now + lifetime,
      appid: clientId,
      idtyp: app ? 'app' : 'user',
      tid,
      // For app-only tokens the oid is the service principal's object id.
      oid: app ? `${clientId.slice(0, 24)}${createHash('sha1').update(clientId).digest('hex').slice(0, 12)}` : user.oid,
      ver: '1.0',
      uti: randomBytes(16).toString('base64url'),
    };
    if (app) {
      claims.roles = [];
    } else {
      claims.scp = splitScopes(scope)
        .filter((s) => !isResourceScope(s) && !OIDC_SCOPES.has(s))
        .join(' ');
      claims.name = user.name;
      claims.upn = user.preferredUsername;
    }
    const accessToken = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: grantedScope(scope),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    };
    const record: IssuedToken = { grantType, clientId, tenant, scope, accessToken, claims };
    if (extras.refresh) {
      const refresh = `M.C5${randomBytes(6).toString('hex')}_BAY.0.U.-${randomBytes(48).toString('base64url')}`;
      refreshTokens.set(refresh, { clientId, scope, tenant });
      body.refresh_token = refresh;
      record.refreshToken = refresh;
    }
    if (!app && splitScopes(scope).includes('openid')) {
      const idClaims: JWTPayload = {
        aud: clientId,
        iss: `https://login.microsoftonline.com/${tid}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + lifetime,
        sub: createHash('sha256').update(`${user.oid}:${clientId}`).digest('base64url').slice(0, 43),
        oid: user.oid,
        tid,
        ver: '2.0',
        name: user.name,
        preferred_username: user.preferredUsername,
      };
      if (extras.nonce) idClaims.nonce = extras.nonce;
      if (splitScopes(scope).includes('email')) idClaims.email = user.preferredUsername;
      const idToken = await new SignJWT(idClaims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
      body.id_token = idToken;
      record.idToken = idToken;
    }
    fake.issued.push(record);
    return body;
  }

  function authorize(tenant: string, params: URLSearchParams, res: ServerResponse): void {
    fake.authorizeRequests.push({ tenant, params });
    const clientId = params.get('client_id');
    if (clientId === null) throw missing('client_id');
    const client = clients[clientId];
    if (client === undefined) {
      throw new AadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
      );
    }
    const redirectUri = params.get('redirect_uri') ?? '';
    const anyRedirect = client.redirectUris.includes('*') && /^https?:\/\//.test(redirectUri);
    if (!anyRedirect && !client.redirectUris.includes(redirectUri)) {
      throw new AadError(
        400,
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
      );
    }
    // From here on errors go back to the app via the redirect URI, as the docs describe.
    const back = new URL(redirectUri);
    const state = params.get('state');
    const fail = (error: string, description: string): void => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (state !== null) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.toString() }).end();
    };
    const responseType = params.get('response_type');
    if (responseType !== 'code') {
      fail(
        'unsupported_response_type',
        `AADSTS700054: response_type '${responseType ?? ''}' is not enabled for the application.`,
      );
      return;
    }
    const scope = params.get('scope');
    if (scope === null || splitScopes(scope).length === 0) {
      fail('invalid_request', "AADSTS900144: The request body must contain the following parameter: 'scope'.");
      return;
    }
    const challenge = params.get('code_challenge');
    const method = params.get('code_challenge_method') ?? 'plain';
    if (challenge !== null && method !== 'S256' && method !== 'plain') {
      fail('invalid_request', 'AADSTS501491: Invalid code_challenge_method.');
      return;
    }
    if (challenge !== null && !/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) {
      fail('invalid_request', 'AADSTS501491: Invalid size of Code_Challenge parameter.');
      return;
    }
    if (deny) {
      deny = false;
      fail('access_denied', 'AADSTS65004: User declined to consent to access the app.');
      return;
    }
    // Automatic consent: record whether a consent screen would have been shown.
    const requested = splitScopes(scope).filter((s) => s !== 'openid');
    const granted = fake.consents.get(clientId) ?? new Set<string>();
    const newScopes = requested.filter((s) => !granted.has(s));
    if (params.get('prompt') === 'consent') {
      fake.consentPrompts.push({ clientId, tenant, scopes: requested, reason: 'prompt' });
    } else if (newScopes.length > 0) {
      fake.consentPrompts.push({ clientId, tenant, scopes: newScopes, reason: 'new-scopes' });
    }
    for (const s of requested) granted.add(s);
    fake.consents.set(clientId, granted);

    const code = `0.A${randomBytes(6).toString('hex')}AAAAAAAAAAAAAAAAAAAAAA.${randomBytes(96).toString('base64url')}`;
    codes.set(code, {
      clientId,
      redirectUri,
      scope,
      tenant,
      challenge,
      challengeMethod: method === 'S256' ? 'S256' : 'plain',
      nonce: params.get('nonce'),
      expiresAt: clock() + CODE_LIFETIME_MS,
    });
    back.searchParams.set('code', code);
    if (state !== null) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  function authenticateClient(req: IncomingMessage, form: URLSearchParams): string {
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (clientId === null) throw missing('client_id');
    const client = clients[clientId];
    if (client === undefined) {
      throw new AadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    }
    if (client.secret !== undefined) {
      if (secret === null) {
        throw new AadError(
          401,
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      if (secret !== client.secret) {
        throw new AadError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
    }
    return clientId;
  }

  async function token(tenant: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      throw new AadError(
        400,
        'invalid_request',
        900561,
        'The endpoint only accepts POST, OPTIONS requests. Received a GET request.',
      );
    }
    const raw = await readBody(req);
    const form = new URLSearchParams(raw);
    const grant = form.get('grant_type') ?? '';
    fake.tokenRequests[grant] = (fake.tokenRequests[grant] ?? 0) + 1;
    if (fake.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.tokenDelayMs));
    if (failures > 0) {
      failures -= 1;
      throw new AadError(
        503,
        'temporarily_unavailable',
        90006,
        'The server is temporarily too busy to handle the request.',
      );
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw new AadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
      );
    }
    if (grant === '') throw missing('grant_type');
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant)) {
      throw new AadError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'.`,
      );
    }
    const clientId = authenticateClient(req, form);
    let body: Record<string, unknown>;
    if (grant === 'authorization_code') {
      const value = form.get('code');
      if (value === null) throw missing('code');
      const code = codes.get(value);
      codes.delete(value); // single use, even when the redemption fails
      if (code === undefined || code.clientId !== clientId) {
        throw new AadError(
          400,
          'invalid_grant',
          54005,
          'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        );
      }
      if (code.expiresAt <= clock()) {
        throw new AadError(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      }
      const redirectUri = form.get('redirect_uri');
      if (redirectUri === null) throw missing('redirect_uri');
      if (code.redirectUri !== redirectUri) {
        throw new AadError(
          400,
          'invalid_grant',
          50148,
          'The redirect_uri does not match the one of the authorization request.',
        );
      }
      if (code.challenge !== null) {
        const verifier = form.get('code_verifier');
        if (verifier === null) throw missing('code_verifier');
        const derived = code.challengeMethod === 'S256' ? s256(verifier) : verifier;
        if (derived !== code.challenge) {
          throw new AadError(
            400,
            'invalid_grant',
            501481,
            'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          );
        }
      }
      body = await issue('authorization_code', clientId, code.scope, code.tenant, {
        refresh: splitScopes(code.scope).includes('offline_access'),
        nonce: code.nonce,
      });
    } else if (grant === 'refresh_token') {
      const value = form.get('refresh_token');
      if (value === null) throw missing('refresh_token');
      const known = refreshTokens.get(value);
      if (known === undefined || known.clientId !== clientId) {
        throw new AadError(
          400,
          'invalid_grant',
          70000,
          "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
        );
      }
      refreshTokens.delete(value); // Microsoft rotates refresh tokens
      const requested = form.get('scope');
      // Refresh tokens are multi-resource: a new scope may name another resource; they stay offline.
      let scope = requested ?? known.scope;
      if (!splitScopes(scope).includes('offline_access')) scope = `${scope} offline_access`;
      body = await issue('refresh_token', clientId, scope, known.tenant, { refresh: true });
    } else {
      const scope = form.get('scope');
      if (scope === null) throw missing('scope');
      if (!scope.trim().endsWith('/.default')) {
        throw new AadError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      body = await issue('client_credentials', clientId, scope, tenant, { refresh: false });
    }
    res
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' })
      .end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
    if (match === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const tenant = decodeURIComponent(match[1] ?? '');
    try {
      if (!validTenant(tenant)) {
        throw new AadError(
          400,
          'invalid_tenant',
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        );
      }
      if (match[2] === 'authorize') authorize(tenant, url.searchParams, res);
      else await token(tenant, req, res);
    } catch (error) {
      if (error instanceof AadError) sendAadError(res, error, clock());
      else throw error;
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return fake;
}
