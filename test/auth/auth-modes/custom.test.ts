import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubAppFake, startGitHubAppFake } from '../../fakes/github-app.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// CUSTOM with Nango's own `github-app-oauth` entry: a GitHub App that requests user authorization
// during installation. The end user installs it, GitHub sends them back with an OAuth code *and*
// the installation id; the connection holds the user's token and an installation token, the proxy
// sends the installation token (as Nango does).
let h: ApiHarness;
let gh: GitHubAppFake;
let connectionId: string;
const oauth = { clientId: 'Iv1.weftcustomtest', clientSecret: 'gh-app-oauth-client-secret-123456' };
const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': 'gh-app-oauth' });

beforeAll(async () => {
  let weftUrl = '';
  gh = await startGitHubAppFake({ setupUrl: () => `${weftUrl}/oauth/callback`, oauth });
  h = await startApi({ providers: await catalogueEntries(['github', 'github-app-oauth']), captureLogs: true });
  weftUrl = h.url;
}, 60_000);

afterAll(async () => {
  await h?.close();
  await gh?.close();
});

describe('CUSTOM (github-app-oauth)', () => {
  it('the integration needs the OAuth client and the app id + private key; the key is only shown on request', async () => {
    const incomplete = await h.api('/integrations', {
      method: 'POST',
      json: {
        unique_key: 'gh-app-oauth',
        provider: 'github-app-oauth',
        credentials: { type: 'CUSTOM', client_id: oauth.clientId, client_secret: oauth.clientSecret },
      },
    });
    expect(incomplete.status).toBe(400);
    const error = ((await incomplete.json()) as Body).error;
    expect(error.code).toBe('WEFT_AUTH_MISSING_CLIENT_CREDENTIALS');
    expect(error.message).toContain('app_id and private_key');

    const badKey = await h.api('/integrations', {
      method: 'POST',
      json: {
        unique_key: 'gh-app-oauth',
        provider: 'github-app-oauth',
        credentials: { type: 'CUSTOM', client_id: oauth.clientId, client_secret: oauth.clientSecret, private_key: 'x' },
      },
    });
    expect(badKey.status).toBe(400);

    const created = await h.api('/integrations', {
      method: 'POST',
      json: {
        unique_key: 'gh-app-oauth',
        provider: 'github-app-oauth',
        credentials: {
          type: 'CUSTOM',
          client_id: oauth.clientId,
          client_secret: oauth.clientSecret,
          app_id: gh.appId,
          private_key: 'placeholder',
        },
        overrides: {
          token_url: {
            OAUTH2: `${gh.url}/login/oauth/access_token`,
            APP: `${gh.url}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
          },
          proxy: { base_url: gh.url },
        },
      },
    });
    // 'placeholder' is not a PEM key: refused at the boundary.
    expect(created.status).toBe(400);

    const ok = await h.api('/integrations', {
      method: 'POST',
      json: {
        unique_key: 'gh-app-oauth',
        provider: 'github-app-oauth',
        credentials: { type: 'CUSTOM', client_id: oauth.clientId, client_secret: oauth.clientSecret },
        // Nango's older spelling: the app credentials as `custom`.
        custom: { app_id: gh.appId, private_key: gh.privateKeyPem },
        overrides: {
          token_url: {
            OAUTH2: `${gh.url}/login/oauth/access_token`,
            APP: `${gh.url}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
          },
          proxy: { base_url: gh.url },
        },
      },
    });
    expect(ok.status, await ok.clone().text()).toBe(201);
    const body = (await ok.json()) as Body;
    expect(body.data.credentials).toMatchObject({
      type: 'CUSTOM',
      app_id: gh.appId,
      private_key: null,
      client_secret: null,
    });

    // PATCH with Nango's credentials shape: app_link joins the sealed app credentials.
    const patched = await h.api('/integrations/gh-app-oauth', {
      method: 'PATCH',
      json: { credentials: { type: 'CUSTOM', app_link: `${gh.url}/apps/${gh.slug}` } },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    const shown: Body = await h.get('/integrations/gh-app-oauth?include=credentials');
    expect(shown.data.credentials).toMatchObject({
      app_id: gh.appId,
      app_link: `${gh.url}/apps/${gh.slug}`,
      private_key: gh.privateKeyPem,
      client_secret: oauth.clientSecret,
    });
    const { rows } = await h.db.pool.query<{ row: string }>('SELECT to_jsonb(i)::text AS row FROM integrations i');
    expect(rows[0]?.row).not.toContain(gh.privateKeyPem.split('\n')[1]);
  });

  it('connects through /oauth/connect: install + user authorization, both tokens held, sealed', async () => {
    // Both inside the refresh margins: the next use renews the installation token and, with its
    // refresh token, the user token.
    gh.nextLifetimeSeconds = 120;
    gh.nextUserLifetimeSeconds = 300;
    const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
    const page = await (await fetch(`${h.url}/connect?session=${session.data.token}`)).text();
    expect(page).toContain('action="/oauth/connect/gh-app-oauth"');
    const response = await fetch(
      `${h.url}/oauth/connect/gh-app-oauth?connect_session_token=${encodeURIComponent(session.data.token)}`,
    );
    expect(await response.text()).toContain('data-state="connected"');
    // The code went to GitHub's OAuth token endpoint with the app's OAuth client and the callback URL.
    expect(gh.tokenRequests[0]?.get('grant_type')).toBe('authorization_code');
    expect(gh.tokenRequests[0]?.get('redirect_uri')).toBe(`${h.url}/oauth/callback`);
    const { rows } = await h.db.pool.query<{ connection_id: string; row: string; config: Record<string, unknown> }>(
      'SELECT connection_id, to_jsonb(c)::text AS row, connection_config AS config FROM connections c',
    );
    connectionId = rows[0]?.connection_id ?? '';
    expect(rows[0]?.config).toMatchObject({
      installation_id: expect.stringMatching(/^\d+$/),
      appPublicLink: `${gh.url}/apps/${gh.slug}`,
    });
    expect(gh.issued).toHaveLength(1);
    expect(gh.userIssued).toHaveLength(1);
    expect(rows[0]?.row).not.toContain(gh.issued[0]);
    expect(rows[0]?.row).not.toContain(gh.userIssued[0]);

    const connection: Body = await h.get(`/connections/${connectionId}?provider_config_key=gh-app-oauth`);
    expect(connection.credentials).toMatchObject({
      type: 'CUSTOM',
      installation_id: rows[0]?.config.installation_id,
      user: { access_token: expect.stringMatching(/^ghu_/), refresh_token: expect.stringMatching(/^ghr_/) },
    });
    // Reading the connection renewed both short-lived tokens, each once.
    expect(gh.issued).toHaveLength(2);
    expect(gh.userIssued).toHaveLength(2);
    expect(connection.credentials.access_token).toBe(gh.issued[1]);
    expect(connection.credentials.user.access_token).toBe(gh.userIssued[1]);
    expect(gh.tokenRequests[1]?.get('grant_type')).toBe('refresh_token');
    expect(gh.tokenRequests[1]?.get('refresh_token')).toMatch(/^ghr_/);
  });

  it('proxies with the installation token (what Nango sends for CUSTOM), not the user token', async () => {
    const response = await h.api('/proxy/installation/repositories', { headers: headers() });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Body).token_used).toBe(gh.issued[1]);
    // Both tokens were fresh: nothing renewed.
    expect(gh.issued).toHaveLength(2);
    expect(gh.userIssued).toHaveLength(2);
  });

  it('the end user revokes the authorization: the user token cannot be renewed, needs_reauth', async () => {
    gh.nextUserLifetimeSeconds = 300; // due at the next use
    const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u2' } } });
    const response = await fetch(
      `${h.url}/oauth/connect/gh-app-oauth?connect_session_token=${encodeURIComponent(session.data.token)}`,
    );
    expect(await response.text()).toContain('data-state="connected"');
    const { rows } = await h.db.pool.query<{ connection_id: string }>(
      'SELECT connection_id FROM connections WHERE connection_id <> $1',
      [connectionId],
    );
    const second = rows[0]?.connection_id ?? '';
    gh.revokeUser();
    const read = await h.api(`/connections/${second}?provider_config_key=gh-app-oauth`);
    expect(read.status).toBe(401);
    expect(((await read.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    expect(gh.tokenRequests.at(-1)?.get('grant_type')).toBe('refresh_token');
    const list = await h.get('/connections?provider_config_key=gh-app-oauth');
    expect(list.connections.find((c: Body) => c.connection_id === second)).toMatchObject({
      auth_state: 'needs_reauth',
    });
  });

  it('the app is uninstalled: the 401 asks for a new token, GitHub answers 404, needs_reauth', async () => {
    gh.uninstall();
    const response = await h.api('/proxy/installation/repositories', { headers: headers() });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=gh-app-oauth');
    expect(list.connections.find((c: Body) => c.connection_id === connectionId)).toMatchObject({
      auth_state: 'needs_reauth',
    });
  });

  it('never logs the private key, the client secret or a token', () => {
    const text = h.logs.join('\n');
    expect(text).not.toContain(gh.privateKeyPem.split('\n')[1]);
    expect(text).not.toContain(oauth.clientSecret);
    for (const token of [...gh.issued, ...gh.userIssued]) expect(text).not.toContain(token);
  });
});
