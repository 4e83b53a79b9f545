import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubAppFake, startGitHubAppFake } from '../../fakes/github-app.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// APP with Nango's own `github-app` entry: the end user installs the app, GitHub sends them back
// with the installation id, Weft holds installation tokens signed for with the app's private key.
let h: ApiHarness;
let gh: GitHubAppFake;
let connectionId: string;
const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': 'gh-app' });

beforeAll(async () => {
  let weftUrl = '';
  gh = await startGitHubAppFake({ setupUrl: () => `${weftUrl}/oauth/callback` });
  h = await startApi({ providers: await catalogueEntries(['github', 'github-app']), captureLogs: true });
  weftUrl = h.url;
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'gh-app',
      provider: 'github-app',
      credentials: { client_id: gh.appId, client_secret: gh.privateKeyPem },
      overrides: {
        app_link: `${gh.url}/apps/${gh.slug}`,
        token_url: `${gh.url}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
        proxy: { base_url: gh.url },
      },
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await gh?.close();
});

describe('APP (github-app)', () => {
  it('installs through the connect page redirect and stores an installation token, sealed', async () => {
    gh.nextLifetimeSeconds = 120; // inside the refresh margin: the next use renews it
    const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
    const page = await (await fetch(`${h.url}/connect?session=${session.data.token}`)).text();
    expect(page).toContain('action="/oauth/connect/gh-app"');
    const response = await fetch(
      `${h.url}/oauth/connect/gh-app?connect_session_token=${encodeURIComponent(session.data.token)}`,
    );
    expect(await response.text()).toContain('data-state="connected"');
    const { rows } = await h.db.pool.query<{ connection_id: string; row: string; config: Record<string, unknown> }>(
      'SELECT connection_id, to_jsonb(c)::text AS row, connection_config AS config FROM connections c',
    );
    connectionId = rows[0]?.connection_id ?? '';
    expect(rows[0]?.config).toMatchObject({ installation_id: expect.stringMatching(/^\d+$/) });
    expect(gh.issued).toHaveLength(1);
    expect(rows[0]?.row).not.toContain(gh.issued[0]);
  });

  it('renews the installation token before it expires and proxies with it', async () => {
    const response = await h.api('/proxy/installation/repositories', { headers: headers() });
    expect(response.status).toBe(200);
    expect(gh.issued).toHaveLength(2);
    expect(((await response.json()) as Body).token_used).toBe(gh.issued[1]);
  });

  it('the app is uninstalled: the 401 asks for a new token, GitHub answers 404, needs_reauth', async () => {
    gh.uninstall();
    const response = await h.api('/proxy/installation/repositories', { headers: headers() });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=gh-app');
    expect(list.connections[0]).toMatchObject({ auth_state: 'needs_reauth' });
  });

  it('never logs the private key or a token', () => {
    const text = h.logs.join('\n');
    expect(text).not.toContain(gh.privateKeyPem.split('\n')[1]);
    for (const token of gh.issued) expect(text).not.toContain(token);
  });
});
