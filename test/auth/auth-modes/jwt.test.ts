import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GhostAdminFake, startGhostAdminFake } from '../../fakes/ghost-admin.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// JWT with Nango's own `ghost-admin` entry: the end user enters an Admin API key `id:secret`;
// Weft signs short-lived HS256 tokens with it and re-signs them before they expire.
const keyId = randomBytes(12).toString('hex');
const secret = randomBytes(32).toString('hex');
let h: ApiHarness;
let ghost: GhostAdminFake;

const connectionConfig = { adminDomain: 'mock.ghost.io', version: 'v5.0' };
const headers = (connectionId: string, key = 'ghost') => ({
  'Connection-Id': connectionId,
  'Provider-Config-Key': key,
});

beforeAll(async () => {
  ghost = await startGhostAdminFake({ [keyId]: secret });
  h = await startApi({ providers: await catalogueEntries(['ghost-admin']), captureLogs: true });
  for (const [key, overrides] of [
    ['ghost', {}],
    // Tokens that live 30 s: always inside the 60 s margin, so every use signs a new one.
    ['ghost-short', { token: { expires_in_ms: 30_000 } }],
  ] as const) {
    const created = await h.api('/integrations', {
      method: 'POST',
      json: {
        unique_key: key,
        provider: 'ghost-admin',
        overrides: { ...overrides, proxy: { base_url: `${ghost.url}/ghost/api/admin/` } },
      },
    });
    expect(created.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
  await ghost?.close();
});

async function connect(key: string, privateKey: string): Promise<Response> {
  const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
  return h.api(`/connect/credentials/${key}`, {
    method: 'POST',
    json: {
      connect_session_token: session.data.token,
      connection_config: connectionConfig,
      credentials: { privateKey },
    },
  });
}

describe('JWT (ghost-admin)', () => {
  let connectionId: string;

  it('a key Ghost does not know fails the verification request; nothing is stored', async () => {
    const response = await connect('ghost', `${randomBytes(12).toString('hex')}:${secret}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_VERIFICATION_FAILED');
    expect((await h.db.pool.query('SELECT 1 FROM connections')).rows).toHaveLength(0);
  });

  it('connects: the signed token passes Ghost verification, the key is sealed at rest', async () => {
    const response = await connect('ghost', `${keyId}:${secret}`);
    expect(response.status).toBe(201);
    connectionId = ((await response.json()) as Body).connection_id;
    expect(ghost.accepted).toHaveLength(1); // the verification request (GET /users)
    const { rows } = await h.db.pool.query<{ row: string }>('SELECT to_jsonb(c)::text AS row FROM connections c');
    expect(rows[0]?.row).not.toContain(secret);
    expect(rows[0]?.row).not.toContain(ghost.accepted[0]);
  });

  it('proxies with `Authorization: Ghost <jwt>` and the declared Accept-Version', async () => {
    const response = await h.api('/proxy/users/', { headers: headers(connectionId) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Body).users[0].accept_version).toBe('v5.0');
  });

  it('a token Ghost refuses is re-signed once and the call succeeds', async () => {
    const ref = { environmentId: h.environmentId, providerConfigKey: 'ghost', connectionId };
    const before = await h.auth.findConnectionRecord(ref);
    ghost.rejectToken((before.credentials as { token: string }).token);
    const accepted = ghost.accepted.length;
    const response = await h.api('/proxy/users/', { headers: headers(connectionId) });
    expect(response.status).toBe(200);
    const after = await h.auth.findConnectionRecord(ref);
    // Signed anew (the JWT itself can be byte-identical within the same second: iat has 1 s resolution).
    expect(Date.parse(after.lastRefreshAt ?? '')).toBeGreaterThan(Date.parse(before.lastRefreshAt ?? ''));
    expect(ghost.accepted.length - accepted).toBe(2); // the verification request, then the retried call
  });

  it('a token about to expire is re-signed before use', async () => {
    const response = await connect('ghost-short', `${keyId}:${secret}`);
    const shortId = ((await response.json()) as Body).connection_id;
    const ref = { environmentId: h.environmentId, providerConfigKey: 'ghost-short', connectionId: shortId };
    const stored = await h.auth.findConnectionRecord(ref);
    await h.auth.getConnection(ref);
    const after = await h.auth.findConnectionRecord(ref);
    expect(Date.parse(after.lastRefreshAt ?? '')).toBeGreaterThan(Date.parse(stored.lastRefreshAt ?? ''));
    expect(after.credentials.type).toBe('JWT');
  });

  it('a deleted key: the re-signed token fails verification too, the connection needs reauth', async () => {
    ghost.revokeKey(keyId);
    const response = await h.api('/proxy/users/', { headers: headers(connectionId) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    const list = await h.get('/connections?provider_config_key=ghost');
    expect(list.connections[0]).toMatchObject({ auth_state: 'needs_reauth' });
  });

  it('never logs the key or a token', () => {
    const text = h.logs.join('\n');
    expect(text).not.toContain(secret);
    for (const token of ghost.accepted) expect(text).not.toContain(token);
  });
});
