import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error oidc-provider 9 ships no type declarations; the shape used here is typed below.
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { browse, fetchKeepingCookies } from './browse.js';

/** The slice of oidc-provider's API this test uses. */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{
    uid: string;
    prompt: { name: string };
    params: Record<string, unknown>;
    session?: { accountId: string };
  }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (init: {
    accountId: string;
    clientId: string;
  }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface OidcClient {
  grantTypeAllowed(type: string): boolean;
}
const OidcProviderClass = Provider as unknown as new (issuer: string, config: Record<string, unknown>) => OidcProvider;

const CLIENT = { id: 'weft-oidc-client', secret: 'oidc-client-secret-0123456789' };
const KEY = 'oidc';

let h: ApiHarness;
let server: Server;
let provider: OidcProvider;
let issuer: string;
/** Parameters of every authorization request the provider accepted. */
const accepted: Array<Record<string, unknown>> = [];
const serverErrors: string[] = [];

async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: 'user-1' } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = new provider.Grant({
    accountId: details.session?.accountId ?? 'user-1',
    clientId: String(details.params.client_id),
  });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

beforeAll(async () => {
  // Keep Weft from refreshing on its own: the access token lives 60 s, the margin is 10 s.
  h = await startApi({ refreshMarginSeconds: 10 });
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  server = createServer((req, res) => {
    if (/^\/interaction\/[^/?]+/.test(req.url ?? '')) {
      interaction(req, res).catch((error: unknown) => {
        serverErrors.push(String(error));
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      });
      return;
    }
    if (callback === undefined) {
      res.writeHead(503).end();
      return;
    }
    callback(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = new OidcProviderClass(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [`${h.url}/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    cookies: { keys: ['oidc-test-cookie-key'] },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    features: { devInteractions: { enabled: false } },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    issueRefreshToken: (_ctx: unknown, client: OidcClient, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: { AccessToken: 60, IdToken: 60, Grant: 3600, Interaction: 600, Session: 3600, RefreshToken: 3600 },
  });
  provider.on('authorization.accepted', (...args: unknown[]) => {
    const ctx = args[0] as { oidc: { params: Record<string, unknown> } };
    accepted.push({ ...ctx.oidc.params });
  });
  provider.on('server_error', (...args: unknown[]) => {
    serverErrors.push(String(args[1]));
  });
  callback = provider.callback();

  const response = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: KEY,
      provider: 'oauth2-generic',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
    },
  });
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(201);
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await h?.close();
});

async function sessionToken(): Promise<string> {
  const response = await h.api('/connect/sessions', {
    method: 'POST',
    json: { end_user: { id: 'user-1', email: 'u@example.com' }, allowed_integrations: [KEY] },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as Body).data.token as string;
}

function connectUrl(token: string): string {
  return (
    `${h.url}/oauth/connect/${KEY}?connect_session_token=${encodeURIComponent(token)}` +
    `&connection_config.issuer=${encodeURIComponent(issuer)}` +
    `&connection_config.apiBaseUrl=${encodeURIComponent('http://127.0.0.1:1')}`
  );
}

async function connectionIds(): Promise<string[]> {
  const { rows } = await h.db.pool.query<{ connection_id: string }>(
    'SELECT connection_id FROM connections WHERE provider_config_key = $1 ORDER BY id',
    [KEY],
  );
  return rows.map((r) => r.connection_id);
}

/** Run the whole flow in the browser-like agent; returns the id of the connection it created. */
async function connect(): Promise<{ connectionId: string; hops: string[]; body: string }> {
  const before = new Set(await connectionIds());
  const result = await browse(connectUrl(await sessionToken()));
  expect(result.status, `${result.body}\n${serverErrors.join('\n')}`).toBe(200);
  expect(result.body).toContain('data-state="connected"');
  const created = (await connectionIds()).filter((id) => !before.has(id));
  expect(created).toHaveLength(1);
  return { connectionId: created[0] ?? '', hops: result.hops, body: result.body };
}

/** Follow redirects by hand (cookies kept) until the provider sends the browser back to Weft's callback. */
async function authorizeUntilCallback(): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = connectUrl(await sessionToken());
  for (let hop = 0; hop < 15; hop++) {
    if (url.startsWith(`${h.url}/oauth/callback`)) return new URL(url);
    const response = await fetchKeepingCookies(url, cookies);
    const location = response.headers.get('location');
    await response.body?.cancel();
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`flow stopped at ${url} with ${response.status}`);
    }
    url = new URL(location, url).toString();
  }
  throw new Error('too many redirects before the callback');
}

async function connection(connectionId: string, query = ''): Promise<Response> {
  return h.api(`/connection/${connectionId}?provider_config_key=${KEY}${query}`);
}

describe('generic OAuth2 against a real oidc-provider server', () => {
  it('authorization code + PKCE (S256) creates a connection with access and refresh tokens', async () => {
    const acceptedBefore = accepted.length;
    const { connectionId, hops } = await connect();

    const authorize = hops.map((hop) => new URL(hop)).find((u) => u.origin === issuer && u.pathname === '/auth');
    expect(authorize?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize?.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize?.searchParams.get('prompt')).toBe('consent');
    expect(authorize?.searchParams.get('scope')?.split(' ')).toEqual(['openid', 'offline_access']);
    expect(accepted.slice(acceptedBefore)).toContainEqual(
      expect.objectContaining({ code_challenge_method: 'S256', client_id: CLIENT.id }),
    );

    const response = await connection(connectionId);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Body;
    expect(body.credentials).toMatchObject({
      type: 'OAUTH2',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    });
    expect(body.credentials.access_token).not.toBe('');
    expect(body.credentials.refresh_token).not.toBe('');
  });

  it('force_refresh uses the refresh token and returns a different access token', async () => {
    const { connectionId } = await connect();
    const before = (await (await connection(connectionId)).json()) as Body;
    const response = await connection(connectionId, '&force_refresh=true');
    const after = (await response.json()) as Body;
    expect(response.status, JSON.stringify(after)).toBe(200);
    expect(after.credentials.type).toBe('OAUTH2');
    expect(after.credentials.access_token).toEqual(expect.any(String));
    expect(after.credentials.access_token).not.toBe(before.credentials.access_token);
    expect(after.credentials.refresh_token).toEqual(expect.any(String));
  });

  it('a reused authorization code is refused by the provider, and a replayed callback by Weft', async () => {
    const callback = await authorizeUntilCallback();
    const code = callback.searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    const before = (await connectionIds()).length;

    const first = await fetch(callback);
    const firstBody = await first.text();
    expect(first.status, firstBody).toBe(200);
    expect(firstBody).toContain('data-state="connected"');
    expect(await connectionIds()).toHaveLength(before + 1);

    // The code was redeemed by Weft; a second redemption must fail at the provider itself.
    const reuse = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${h.url}/oauth/callback`,
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      }).toString(),
    });
    expect(reuse.status).toBe(400);
    const reuseBody = (await reuse.json()) as Body;
    expect(reuseBody.error).toBe('invalid_grant');
    expect(reuseBody.error_description).toBe('grant request is invalid');
    expect(serverErrors).toEqual([]);

    const replay = await fetch(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('WEFT_AUTH_INVALID_STATE');
    expect(await connectionIds()).toHaveLength(before + 1);
  });

  it('a forged state on the callback is refused and creates nothing', async () => {
    const before = (await connectionIds()).length;
    const forged = await fetch(`${h.url}/oauth/callback?code=made-up-code&state=forged-state`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('WEFT_AUTH_INVALID_STATE');
    expect(await connectionIds()).toHaveLength(before);
  });

  it('a refresh token the provider does not know marks the connection needs_reauth', async () => {
    const { connectionId } = await connect();
    const ref = { environmentId: h.environmentId, providerConfigKey: KEY, connectionId };
    const record = await h.auth.findConnectionRecord(ref);
    if (record.credentials.type !== 'OAUTH2') throw new Error('expected OAuth2 credentials');
    const sealed = h.auth.sealCredentials({ ...record.credentials, refresh_token: 'made-up' });
    await h.db.pool.query('UPDATE connections SET credentials_enc = $2 WHERE id = $1', [record.id, sealed]);

    const response = await connection(connectionId, '&force_refresh=true');
    const body = (await response.json()) as Body;
    expect(response.status, JSON.stringify(body)).toBe(401);
    expect(body.error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');

    const list = await h.get(`/connections?provider_config_key=${KEY}`);
    const listed = (list.connections as Body[]).find((c) => c.connection_id === connectionId);
    expect(listed).toMatchObject({
      auth_state: 'needs_reauth',
      errors: [{ type: 'auth', message: expect.stringContaining('invalid_grant') }],
    });
  });
});
