import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrelloFake, type TrelloFake } from '../../fakes/trello-oauth1.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// OAUTH1 with Nango's own `trello` entry: the three-legged OAuth 1.0a flow through the connect
// page's redirect, then every proxied request signed with HMAC-SHA1.
let h: ApiHarness;
let trello: TrelloFake;
let connectionId: string;
const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': 'trello' });

beforeAll(async () => {
  trello = await startTrelloFake();
  h = await startApi({ providers: await catalogueEntries(['trello']), captureLogs: true });
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'trello',
      provider: 'trello',
      credentials: { client_id: trello.consumer.key, client_secret: trello.consumer.secret, scopes: 'read,write' },
      overrides: {
        request_url: `${trello.url}/1/OAuthGetRequestToken`,
        authorization_url: `${trello.url}/1/OAuthAuthorizeToken`,
        token_url: `${trello.url}/1/OAuthGetAccessToken`,
        proxy: { base_url: trello.url },
      },
    },
  });
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await trello?.close();
});

describe('OAUTH1 (trello)', () => {
  it('an integration without the consumer key and secret is refused when created', async () => {
    const response = await h.api('/integrations', {
      method: 'POST',
      json: { unique_key: 'trello-bare', provider: 'trello' },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_MISSING_CLIENT_CREDENTIALS');
  });

  it('the connect page sends the end user through request token → authorize → access token', async () => {
    const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
    const page = await (await fetch(`${h.url}/connect?session=${session.data.token}`)).text();
    expect(page).toContain('action="/oauth/connect/trello"');
    // fetch follows every redirect: Weft → Trello's authorize page → Weft's callback.
    const response = await fetch(
      `${h.url}/oauth/connect/trello?connect_session_token=${encodeURIComponent(session.data.token)}`,
    );
    expect(await response.text()).toContain('data-state="connected"');
    expect(trello.lastAuthorize).toMatchObject({ expiration: 'never', scope: 'read,write' });
    expect(trello.issued).toHaveLength(1);
    const { rows } = await h.db.pool.query<{ connection_id: string; row: string }>(
      'SELECT connection_id, to_jsonb(c)::text AS row FROM connections c',
    );
    connectionId = rows[0]?.connection_id ?? '';
    expect(rows[0]?.row).not.toContain(trello.issued[0]);
  });

  it('signs each proxied request (query and form parameters included), a fresh nonce every time', async () => {
    const me = await h.api('/proxy/1/members/me?fields=username', { headers: headers() });
    expect(me.status).toBe(200);
    expect(((await me.json()) as Body).fields).toBe('username');
    const again = await h.api('/proxy/1/members/me?fields=username', { headers: headers() });
    expect(again.status).toBe(200);
    const card = await h.api('/proxy/1/cards', {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ship+it&idList=l1',
    });
    expect(card.status).toBe(200);
    expect(await card.json()).toMatchObject({ name: 'Ship it', idList: 'l1' });
    expect(trello.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /1/members/me',
      'GET /1/members/me',
      'POST /1/cards',
    ]);
  });

  it('a revoked token (tokens never expire): the 401 marks the connection needs_reauth', async () => {
    trello.revoke(trello.issued[0] ?? '');
    const response = await h.api('/proxy/1/members/me', { headers: headers() });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=trello');
    expect(list.connections[0]).toMatchObject({ auth_state: 'needs_reauth' });
  });

  it('never logs the consumer secret or the access token', () => {
    const text = h.logs.join('\n');
    expect(text).not.toContain(trello.consumer.secret);
    for (const token of trello.issued) expect(text).not.toContain(token);
  });
});
