import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, SignJWT } from 'jose';

/**
 * A fake of the Microsoft identity platform v2.0 endpoints, following the public docs
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, …-client-creds-grant-flow):
 * `/{tenant}/oauth2/v2.0/authorize` and `/{tenant}/oauth2/v2.0/token` for common, consumers,
 * organizations or a tenant id/domain; authorization code (+PKCE), refresh_token (rotating) and
 * client_credentials grants; refresh tokens only with `offline_access`; Microsoft's error body
 * shape (`error`, `error_description` with AADSTS codes, `error_codes`, `trace_id`, …).
 * The user "consents" automatically unless `denyNext()` was called.
 */
export interface MicrosoftIdentityFake {
  url: string;
  /** Token requests by grant type (assert single-flight refreshes against it). */
  tokenRequests: Record<string, number>;
  /** Authorize requests seen, with their query (prompt, scope, tenant, …). */
  authorizeRequests: Array<{ tenant: string; params: URLSearchParams }>;
  /** Next authorize answers error=access_denied (the user clicked "Cancel"). */
  denyNext(): void;
  /** Make a refresh token unusable (invalid_grant), as when the user revokes consent. */
  revoke(refreshToken: string): void;
  /** Make the next `count` token requests answer HTTP 503 (transient). */
  failNextTokenRequests(count: number): void;
  /** Delay every token response (to widen race windows in single-flight tests). */
  tokenDelayMs: number;
  /** Lifetime of issued access tokens. @default 3600 */
  accessTokenLifetimeSeconds: number;
  /** Claims of a token this fake issued and that is still valid, else null. */
  verifyAccessToken(token: string): Record<string, unknown> | null;
  close(): Promise<void>;
}

interface Client {
  secret: string;
  redirectUris: string[];
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  tenant: string;
  challenge: string | null;
  expiresAt: number;
}

const key = randomBytes(32);

function aadError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(
    JSON.stringify({
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z',
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    }),
  );
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

/** `https://storage.azure.com/.default` → audience `https://storage.azure.com`; Graph scopes → Graph. */
function audienceOf(scope: string): string {
  const resource = scope.split(' ').find((s) => s.startsWith('https://') || s.startsWith('api://'));
  if (resource !== undefined) return resource.replace(/\/[^/]*$/, '');
  return 'https://graph.microsoft.com';
}

export async function startMicrosoftIdentityFake(options: {
  clients: Record<string, Client>;
  tenantId?: string;
}): Promise<MicrosoftIdentityFake> {
  const tenantId = options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const codes = new Map<string, PendingCode>();
  const refreshTokens = new Map<string, { clientId: string; scope: string; tenant: string }>();
  let deny = false;
  let failures = 0;
  const fake: MicrosoftIdentityFake = {
    url: '',
    tokenRequests: {},
    authorizeRequests: [],
    denyNext: () => {
      deny = true;
    },
    revoke: (token) => {
      refreshTokens.delete(token);
    },
    failNextTokenRequests: (count) => {
      failures = count;
    },
    tokenDelayMs: 0,
    accessTokenLifetimeSeconds: 3600,
    verifyAccessToken(token) {
      try {
        const claims = decodeJwt(token);
        const signature = token.split('.')[2];
        const expected = createHash('sha256')
          .update(`${key.toString('hex')}.${token.split('.').slice(0, 2).join('.')}`)
          .digest('base64url');
        if (signature !== expected) return null;
        if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return null;
        return claims as Record<string, unknown>;
      } catch {
        return null;
      }
    },
    close: async () => {},
  };

  async function issue(clientId: string, scope: string, tenant: string, withRefresh: boolean) {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: audienceOf(scope),
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp: now + fake.accessTokenLifetimeSeconds,
      appid: clientId,
      scp: scope
        .split(' ')
        .filter((s) => !s.startsWith('https://') && s !== 'offline_access' && s !== 'openid')
        .join(' '),
      tid: tenantId,
      oid: '00000000-0000-0000-0000-000000000001',
      ver: '1.0',
      uti: randomBytes(12).toString('base64url'),
    };
    // Signed with a keyed hash the fake checks itself (resource servers such as Azurite only read claims).
    const unsigned = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
    const head = unsigned.split('.').slice(0, 2).join('.');
    const signature = createHash('sha256')
      .update(`${key.toString('hex')}.${head}`)
      .digest('base64url');
    const accessToken = `${head}.${signature}`;
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scope
        .split(' ')
        .filter((s) => s !== 'offline_access')
        .join(' '),
      expires_in: fake.accessTokenLifetimeSeconds,
      ext_expires_in: fake.accessTokenLifetimeSeconds,
      access_token: accessToken,
    };
    if (withRefresh) {
      const refresh = `M.R3_${randomBytes(24).toString('base64url')}`;
      refreshTokens.set(refresh, { clientId, scope, tenant });
      body.refresh_token = refresh;
    }
    return body;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.url);
    const match = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(url.pathname);
    if (match === null) {
      res.writeHead(404).end();
      return;
    }
    const tenant = match[1] as string;
    if (match[2] === 'authorize') {
      const params = url.searchParams;
      fake.authorizeRequests.push({ tenant, params });
      const client = options.clients[params.get('client_id') ?? ''];
      const redirectUri = params.get('redirect_uri') ?? '';
      if (client === undefined)
        return aadError(
          res,
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${params.get('client_id')}' was not found in the directory.`,
        );
      if (!client.redirectUris.includes(redirectUri))
        return aadError(
          res,
          400,
          'invalid_request',
          50011,
          'The redirect URI specified in the request does not match the redirect URIs configured for the application.',
        );
      const back = new URL(redirectUri);
      const state = params.get('state');
      if (state !== null) back.searchParams.set('state', state);
      if (deny) {
        deny = false;
        back.searchParams.set('error', 'access_denied');
        back.searchParams.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
      } else if (params.get('response_type') !== 'code') {
        back.searchParams.set('error', 'unsupported_response_type');
      } else {
        const code = `0.A${randomBytes(24).toString('base64url')}`;
        codes.set(code, {
          clientId: params.get('client_id') ?? '',
          redirectUri,
          scope: params.get('scope') ?? '',
          tenant,
          challenge: params.get('code_challenge'),
          expiresAt: Date.now() + 10 * 60_000,
        });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (req.method !== 'POST')
      return aadError(res, 405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    const form = await readForm(req);
    const grant = form.get('grant_type') ?? '';
    fake.tokenRequests[grant] = (fake.tokenRequests[grant] ?? 0) + 1;
    if (fake.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.tokenDelayMs));
    if (failures > 0) {
      failures -= 1;
      return aadError(
        res,
        503,
        'temporarily_unavailable',
        90006,
        'The server is temporarily too busy to handle the request.',
      );
    }
    const clientId = form.get('client_id') ?? '';
    const client = options.clients[clientId];
    if (client === undefined)
      return aadError(
        res,
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      );
    if (form.get('client_secret') !== client.secret)
      return aadError(res, 401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (code === undefined || code.expiresAt < Date.now() || code.clientId !== clientId) {
        return aadError(
          res,
          400,
          'invalid_grant',
          54005,
          'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
        );
      }
      if (code.redirectUri !== form.get('redirect_uri'))
        return aadError(
          res,
          400,
          'invalid_grant',
          50148,
          'The redirect_uri does not match the one of the authorization request.',
        );
      if (code.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
          return aadError(
            res,
            400,
            'invalid_grant',
            501481,
            'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          );
        }
      }
      const body = await issue(clientId, code.scope, code.tenant, code.scope.split(' ').includes('offline_access'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (grant === 'refresh_token') {
      const token = form.get('refresh_token') ?? '';
      const known = refreshTokens.get(token);
      if (known === undefined || known.clientId !== clientId) {
        return aadError(
          res,
          400,
          'invalid_grant',
          70000,
          "The provided value for the input parameter 'refresh_token' or 'assertion' is not valid.",
        );
      }
      refreshTokens.delete(token); // Microsoft rotates refresh tokens
      const scope = form.get('scope') ?? known.scope;
      const body = await issue(
        clientId,
        scope.includes('offline_access') || !form.get('scope') ? scope : `${scope} offline_access`,
        known.tenant,
        true,
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (grant === 'client_credentials') {
      const scope = form.get('scope') ?? '';
      if (!scope.endsWith('/.default'))
        return aadError(
          res,
          400,
          'invalid_scope',
          1002012,
          'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.',
        );
      const body = await issue(clientId, scope, tenant, false);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    return aadError(
      res,
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    );
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
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
