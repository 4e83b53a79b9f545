import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { browse } from './browse.js';

let h: ApiHarness;
let ms: MicrosoftIdentityFake;
let graph: Server;
let graphUrl: string;

const CLIENT = { id: 'weft-app', secret: 'app-secret' };

beforeAll(async () => {
  h = await startApi({ refreshMarginSeconds: 300, captureLogs: true });
  ms = await startMicrosoftIdentityFake({
    clients: { [CLIENT.id]: { secret: CLIENT.secret, redirectUris: [`${h.url}/oauth/callback`] } },
  });
  // Just enough Graph for SharePoint host discovery (the full Graph fake lives in test/fakes).
  graph = createServer((req, res) => {
    const token = (req.headers.authorization ?? '').replace('Bearer ', '');
    if (ms.verifyAccessToken(token) === null) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } }));
      return;
    }
    if (req.url === '/v1.0/sites/root') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'root', siteCollection: { hostname: 'contoso.sharepoint.com' } }));
      return;
    }
    res.writeHead(404).end();
  });
  graph.listen(0, '127.0.0.1');
  await once(graph, 'listening');
  graphUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ms.close();
  graph.closeAllConnections();
  graph.close();
  await h.close();
});

/** Point a Microsoft-family integration at the fake identity platform (URLs overridable per integration). */
function msOverrides(tenantPath: string) {
  return {
    authorization_url: `${ms.url}/${tenantPath}/oauth2/v2.0/authorize`,
    token_url: `${ms.url}/${tenantPath}/oauth2/v2.0/token`,
    proxy: { base_url: graphUrl },
  };
}

async function createIntegration(body: Record<string, unknown>) {
  const response = await h.api('/integrations', { method: 'POST', json: body });
  expect(response.status, JSON.stringify(await response.clone().json())).toBe(201);
  return ((await response.json()) as Body).data;
}

async function session(allowed: string[], defaults?: Record<string, unknown>) {
  const response = await h.api('/connect/sessions', {
    method: 'POST',
    json: {
      end_user: { id: 'user-1', email: 'u@example.com' },
      allowed_integrations: allowed,
      ...(defaults ? { integrations_config_defaults: defaults } : {}),
    },
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as Body).data as { token: string; connect_link: string; expires_at: string };
}

async function connectionCount(key: string): Promise<number> {
  const { rows } = await h.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM connections WHERE provider_config_key = $1',
    [key],
  );
  return rows[0]?.n ?? 0;
}

async function connectOAuth(key: string, extra = '') {
  const s = await session([key]);
  const result = await browse(
    `${h.url}/oauth/connect/${key}?connect_session_token=${encodeURIComponent(s.token)}${extra}`,
  );
  return { ...result, session: s };
}

describe('Microsoft OAuth2 against the fake identity platform', () => {
  beforeAll(async () => {
    await createIntegration({
      unique_key: 'od-personal',
      provider: 'one-drive-personal',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret, scopes: 'Files.Read' },
      overrides: msOverrides('consumers'),
    });
  });

  it('OneDrive Personal: consumers tenant, offline_access added, encrypted credentials, refresh token, auth event', async () => {
    const before = ms.authorizeRequests.length;
    const result = await connectOAuth('od-personal');
    expect(result.status).toBe(200);
    expect(result.body).toContain('data-state="connected"');
    const authorize = ms.authorizeRequests[before];
    expect(authorize?.tenant).toBe('consumers');
    expect(authorize?.params.get('scope')?.split(' ')).toEqual(['offline_access', 'Files.Read']);
    expect(authorize?.params.get('code_challenge')).toBeNull(); // disable_pkce in providers.yaml
    const { rows } = await h.db.pool.query<{
      connection_id: string;
      credentials_enc: string;
      end_user: { id: string };
    }>(`SELECT connection_id, credentials_enc, end_user FROM connections WHERE provider_config_key = 'od-personal'`);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row?.end_user.id).toBe('user-1');
    const connection = await h.get(`/connection/${row?.connection_id}?provider_config_key=od-personal`);
    expect(connection.credentials).toMatchObject({
      type: 'OAUTH2',
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^M\./),
    });
    expect(row?.credentials_enc).not.toContain(connection.credentials.access_token.slice(0, 20));
    expect(row?.credentials_enc).not.toContain(connection.credentials.refresh_token);
    const events = await h.db.pool.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM webhook_events WHERE type = 'auth'`,
    );
    expect(events.rows.map((e) => e.payload)).toContainEqual(
      expect.objectContaining({
        operation: 'creation',
        success: true,
        connectionId: row?.connection_id,
        providerConfigKey: 'od-personal',
      }),
    );
  });

  it('warns about missing offline_access in the integration and still requests it', async () => {
    const integration = await h.get('/integrations/od-personal');
    expect(integration.data.warnings).toEqual([expect.stringContaining('offline_access')]);
  });

  it('tenant-specific: tenant from connection_config in both URLs, prompt=consent; missing tenant is a clear error', async () => {
    await createIntegration({
      unique_key: 'ms-tenant',
      provider: 'microsoft-tenant-specific',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret, scopes: ['offline_access', 'User.Read'] },
      overrides: {
        authorization_url: `${ms.url}/\${connectionConfig.tenant}/oauth2/v2.0/authorize`,
        token_url: `${ms.url}/\${connectionConfig.tenant}/oauth2/v2.0/token`,
      },
    });
    const missing = await connectOAuth('ms-tenant');
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('WEFT_AUTH_MISSING_CONNECTION_CONFIG');
    expect(missing.body).toContain('connection_config.tenant');
    expect(await connectionCount('ms-tenant')).toBe(0);

    const before = ms.authorizeRequests.length;
    const ok = await connectOAuth('ms-tenant', '&connection_config.tenant=contoso.onmicrosoft.com');
    expect(ok.body).toContain('data-state="connected"');
    expect(ms.authorizeRequests[before]?.tenant).toBe('contoso.onmicrosoft.com');
    expect(ms.authorizeRequests[before]?.params.get('prompt')).toBe('consent');
    const { rows } = await h.db.pool.query<{ connection_config: { tenant: string } }>(
      `SELECT connection_config FROM connections WHERE provider_config_key = 'ms-tenant'`,
    );
    expect(rows[0]?.connection_config.tenant).toBe('contoso.onmicrosoft.com');
  });

  it('SharePoint: with Sites.Read.All a secondary token is stored (sealed) in connection_config.sharepointAccessToken', async () => {
    await createIntegration({
      unique_key: 'sp',
      provider: 'sharepoint-online',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
      overrides: msOverrides('organizations'),
    });
    const result = await connectOAuth('sp');
    expect(result.body).toContain('data-state="connected"');
    const [conn] = (await h.get('/connections?provider_config_key=sp')).connections;
    const full = await h.get(`/connection/${conn.connection_id}?provider_config_key=sp`);
    expect(full.connection_config.sharepointHost).toBe('contoso.sharepoint.com');
    expect(ms.verifyAccessToken(full.connection_config.sharepointAccessToken)).toMatchObject({
      aud: 'https://contoso.sharepoint.com',
    });
    // It is a credential: sealed at rest like the others, readable only through Weft.
    const { rows } = await h.db.pool.query<{ raw: string; host: string }>(
      `SELECT connection_config::text AS raw, connection_config->>'sharepointHost' AS host FROM connections WHERE provider_config_key = 'sp'`,
    );
    expect(rows[0]?.host).toBe('contoso.sharepoint.com');
    expect(rows[0]?.raw).not.toContain(full.connection_config.sharepointAccessToken);
    expect(rows[0]?.raw).toContain('"$sealed"');
    // The SharePoint exchange rotated the refresh token: the next refresh must use the newest one.
    const ref = { environmentId: h.environmentId, providerConfigKey: 'sp', connectionId: conn.connection_id as string };
    const refreshed = await h.auth.refreshAfterUnauthorized(ref);
    expect(refreshed.authState).toBe('ok');
    expect(refreshed.connectionConfig.sharepointAccessToken).not.toBe(full.connection_config.sharepointAccessToken);
    expect(ms.verifyAccessToken(String(refreshed.connectionConfig.sharepointAccessToken))).toMatchObject({
      aud: 'https://contoso.sharepoint.com',
    });
    const again = await h.auth.refreshAfterUnauthorized(ref);
    expect(again.authState).toBe('ok');
    // …and the main token stays a Graph token (the refresh names the integration's scopes).
    const graphToken = again.credentials.type === 'OAUTH2' ? again.credentials.access_token : '';
    expect(ms.verifyAccessToken(graphToken)?.aud).toMatch(/graph\.microsoft\.com|00000003-0000-0000-c000-000000000000/);
  });

  it('the user declining consent shows an error page and creates nothing', async () => {
    const before = await connectionCount('od-personal');
    ms.denyNext();
    const result = await connectOAuth('od-personal');
    expect(result.status).toBe(400);
    expect(result.body).toContain('WEFT_AUTH_PROVIDER_DENIED');
    expect(result.body).toContain('User declined');
    expect(await connectionCount('od-personal')).toBe(before);
  });

  it('a tampered or replayed callback is refused (state is single use)', async () => {
    const s = await session(['od-personal']);
    const start = await fetch(`${h.url}/oauth/connect/od-personal?connect_session_token=${s.token}`, {
      redirect: 'manual',
    });
    const authorize = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    const callback = new URL(authorize.headers.get('location') ?? '');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state');
    const forgedPage = await fetch(forged);
    expect(forgedPage.status).toBe(400);
    expect(await forgedPage.text()).toContain('WEFT_AUTH_INVALID_STATE');
    expect((await fetch(callback)).status).toBe(200);
    const replay = await fetch(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('WEFT_AUTH_INVALID_STATE');
  });

  it('a wrong client secret (provider 401) and an expired session are clear errors; nothing is created', async () => {
    await createIntegration({
      unique_key: 'od-bad-secret',
      provider: 'one-drive-personal',
      credentials: { client_id: CLIENT.id, client_secret: 'wrong' },
      overrides: msOverrides('consumers'),
    });
    const bad = await connectOAuth('od-bad-secret');
    expect(bad.status).toBe(502);
    expect(bad.body).toContain('WEFT_AUTH_TOKEN_EXCHANGE_FAILED');
    expect(bad.body).toContain('invalid_client');
    expect(bad.body).not.toContain('wrong');
    expect(await connectionCount('od-bad-secret')).toBe(0);

    const s = await session(['od-personal']);
    await h.db.pool.query(`UPDATE connect_sessions SET expires_at = now() - interval '1 second'`);
    const expired = await browse(`${h.url}/oauth/connect/od-personal?connect_session_token=${s.token}`);
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('WEFT_AUTH_SESSION_INVALID');
    const notAllowed = await connectOAuth('od-personal').then(async () => {
      const other = await session(['sp']);
      return browse(`${h.url}/oauth/connect/od-personal?connect_session_token=${other.token}`);
    });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body).toContain('WEFT_AUTH_INTEGRATION_NOT_ALLOWED');
  });
});

describe('token refresh', () => {
  let connectionId: string;
  beforeAll(async () => {
    await createIntegration({
      unique_key: 'od-refresh',
      provider: 'one-drive-personal',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
      overrides: msOverrides('consumers'),
    });
    await connectOAuth('od-refresh');
    connectionId = (await h.get('/connections?provider_config_key=od-refresh')).connections[0].connection_id;
  });

  async function expire(): Promise<void> {
    const ref = { environmentId: h.environmentId, providerConfigKey: 'od-refresh', connectionId };
    const record = await h.auth.findConnectionRecord(ref);
    if (record.credentials.type !== 'OAUTH2') throw new Error('expected OAuth2 credentials');
    const sealed = h.auth.sealCredentials({
      ...record.credentials,
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    await h.db.pool.query(
      "UPDATE connections SET credentials_enc = $2, last_refresh_at = now() - interval '1 hour' WHERE id = $1",
      [record.id, sealed],
    );
  }

  it('refreshes an expiring token, rotating the refresh token, and retries transient failures', async () => {
    const old = await h.get(`/connection/${connectionId}?provider_config_key=od-refresh`);
    await expire();
    ms.failNextTokenRequests(1);
    const fresh = await h.get(`/connection/${connectionId}?provider_config_key=od-refresh`);
    expect(fresh.credentials.access_token).not.toBe(old.credentials.access_token);
    expect(fresh.credentials.refresh_token).not.toBe(old.credentials.refresh_token);
    expect(Date.parse(fresh.credentials.expires_at)).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('20 concurrent refreshes of one expired connection from two processes → exactly one token request', async () => {
    await expire();
    ms.tokenDelayMs = 200;
    const before = ms.tokenRequests.refresh_token ?? 0;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./refresh-client.ts', import.meta.url))],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: {
          ...process.env,
          DB_URL: h.db.url,
          BOX_KEY: h.boxKeyHex,
          ENV_ID: String(h.environmentId),
          KEY: 'od-refresh',
          CONN: connectionId,
          COUNT: '10',
        },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    await new Promise<void>((resolve) => {
      const check = () => (out.includes('ready') ? resolve() : setTimeout(check, 10));
      check();
    });
    child.stdin.write('go\n');
    const mine = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.auth.getConnection({ environmentId: h.environmentId, providerConfigKey: 'od-refresh', connectionId }),
      ),
    );
    await once(child, 'exit');
    ms.tokenDelayMs = 0;
    const theirs = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { tokens: string[] };
    expect((ms.tokenRequests.refresh_token ?? 0) - before).toBe(1);
    const tokens = new Set([
      ...mine.map((c) => (c.credentials.type === 'OAUTH2' ? c.credentials.access_token : '')),
      ...theirs.tokens,
    ]);
    expect(tokens.size).toBe(1);
  });

  it('a revoked refresh token (invalid_grant) marks the connection needs_reauth and emits an auth event', async () => {
    const current = await h.get(`/connection/${connectionId}?provider_config_key=od-refresh`);
    ms.revoke(current.credentials.refresh_token);
    const response = await h.api(`/connection/${connectionId}?provider_config_key=od-refresh&force_refresh=true`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=od-refresh');
    expect(list.connections[0]).toMatchObject({
      auth_state: 'needs_reauth',
      errors: [{ type: 'auth', message: expect.stringContaining('invalid_grant') }],
    });
    const events = await h.db.pool.query<{ payload: Record<string, unknown> }>(
      `SELECT payload FROM webhook_events WHERE type = 'auth' AND payload->>'operation' = 'refresh'`,
    );
    expect(events.rows[0]?.payload).toMatchObject({
      success: false,
      connectionId,
      error: { code: 'WEFT_AUTH_NEEDS_REAUTH' },
    });
  });
});

describe('logs', () => {
  it('never contain client secrets, tokens, codes or session tokens', async () => {
    const result = await connectOAuth('od-personal');
    expect(result.body).toContain('data-state="connected"');
    const [conn] = (await h.get('/connections?provider_config_key=od-personal')).connections;
    const full = await h.get(`/connection/${conn.connection_id}?provider_config_key=od-personal`);
    const text = h.logs.join('\n');
    const callbackLine = h.logs.find((line) => line.includes('/oauth/callback'));
    expect(callbackLine, h.logs.slice(0, 5).join('\n')).toContain('code=%5Bredacted%5D');
    for (const secret of [
      CLIENT.secret,
      full.credentials.access_token,
      full.credentials.refresh_token,
      result.session.token,
      h.secretKey,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('client credentials', () => {
  it('creates an OAUTH2_CC connection with a /.default token for the tenant', async () => {
    await createIntegration({
      unique_key: 'ms-cc',
      provider: 'microsoft-oauth2-cc',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
      overrides: { token_url: `${ms.url}/\${connectionConfig.tenantId}/oauth2/v2.0/token` },
    });
    const s = await session(['ms-cc']);
    const response = await fetch(`${h.url}/connect/credentials/ms-cc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ connect_session_token: s.token, connection_config: { tenantId: 'tenant-1' } }),
    });
    expect(response.status).toBe(201);
    const { connection_id } = (await response.json()) as { connection_id: string };
    const full = await h.get(`/connection/${connection_id}?provider_config_key=ms-cc`);
    expect(full.credentials.type).toBe('OAUTH2_CC');
    expect(ms.verifyAccessToken(full.credentials.token)).toMatchObject({ aud: 'https://graph.microsoft.com' });
  });
});
