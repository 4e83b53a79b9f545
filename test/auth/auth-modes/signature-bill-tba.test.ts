import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillFake, startEmarsysFake, startNetSuiteFake } from '../../fakes/signed-apis.js';
import { type ApiHarness, type Body, startApi } from '../../helpers/api-harness.js';
import { catalogueEntries } from '../../helpers/catalogue.js';

// SIGNATURE (emarsys), BILL (bill) and TBA (netsuite-tba), each with Nango's own catalogue entry.
const emarsysUser = { username: 'weft_api', secret: randomBytes(16).toString('hex') };
const billAccount = {
  username: 'a@b.co',
  password: 'pw-1',
  organizationId: 'org-1',
  devKey: randomBytes(8).toString('hex'),
};
const netsuite = {
  realm: 'TSTDRV_123',
  consumer: { key: randomBytes(16).toString('hex'), secret: randomBytes(16).toString('hex') },
  token: { id: randomBytes(16).toString('hex'), secret: randomBytes(16).toString('hex') },
};
let h: ApiHarness;
let emarsys: Awaited<ReturnType<typeof startEmarsysFake>>;
let bill: Awaited<ReturnType<typeof startBillFake>>;
let ns: Awaited<ReturnType<typeof startNetSuiteFake>>;

beforeAll(async () => {
  [emarsys, bill, ns] = await Promise.all([
    startEmarsysFake(emarsysUser),
    startBillFake(billAccount),
    startNetSuiteFake(netsuite),
  ]);
  h = await startApi({
    providers: await catalogueEntries(['emarsys', 'bill', 'netsuite', 'netsuite-tba']),
    captureLogs: true,
  });
  const integrations = [
    // WSSE tokens that live 30 s: inside the 60 s margin, so each use makes a new one.
    {
      unique_key: 'emarsys',
      provider: 'emarsys',
      overrides: { token: { expires_in_ms: 30_000 }, proxy: { base_url: emarsys.url } },
    },
    {
      unique_key: 'bill',
      provider: 'bill',
      overrides: { token_url: `${bill.url}/connect/v3/login`, proxy: { base_url: `${bill.url}/connect` } },
    },
    {
      unique_key: 'netsuite',
      provider: 'netsuite-tba',
      credentials: { client_id: netsuite.consumer.key, client_secret: netsuite.consumer.secret },
      overrides: { proxy: { base_url: ns.url } },
    },
  ];
  for (const json of integrations) expect((await h.api('/integrations', { method: 'POST', json })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([emarsys?.close(), bill?.close(), ns?.close()]);
});

async function connect(key: string, body: Record<string, unknown>): Promise<Response> {
  const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
  return h.api(`/connect/credentials/${key}`, {
    method: 'POST',
    json: { connect_session_token: session.data.token, ...body },
  });
}

const headers = (key: string, connectionId: string) => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': key });

async function authState(key: string): Promise<string> {
  return (await h.get(`/connections?provider_config_key=${key}`)).connections[0].auth_state;
}

describe('SIGNATURE (emarsys WSSE)', () => {
  let id: string;

  it('connects with the entered id and secret (checked by the verification request), secret sealed', async () => {
    const response = await connect('emarsys', {
      credentials: { username: emarsysUser.username, password: emarsysUser.secret },
    });
    expect(response.status).toBe(201);
    id = ((await response.json()) as Body).connection_id;
    const { rows } = await h.db.pool.query<{ row: string }>(
      `SELECT to_jsonb(c)::text AS row FROM connections c WHERE provider_config_key = 'emarsys'`,
    );
    expect(rows[0]?.row).not.toContain(emarsysUser.secret);
  });

  it('proxies with a fresh X-WSSE token, remade before it expires', async () => {
    const ref = { environmentId: h.environmentId, providerConfigKey: 'emarsys', connectionId: id };
    const before = await h.auth.findConnectionRecord(ref);
    const response = await h.api('/proxy/api/v2/settings', { headers: headers('emarsys', id) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Body).replyCode).toBe(0);
    const after = await h.auth.findConnectionRecord(ref);
    expect(Date.parse(after.lastRefreshAt ?? '')).toBeGreaterThan(Date.parse(before.lastRefreshAt ?? ''));
  });

  it('revoked API user: the 401 remakes the token, verification fails too, needs_reauth', async () => {
    emarsys.revoke();
    const response = await h.api('/proxy/api/v2/settings', { headers: headers('emarsys', id) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    expect(await authState('emarsys')).toBe('needs_reauth');
  });
});

describe('BILL (Bill Connect API v3)', () => {
  let id: string;
  const entered = {
    username: billAccount.username,
    password: billAccount.password,
    organization_id: billAccount.organizationId,
    dev_key: billAccount.devKey,
  };

  it('the connect page asks for Bill’s four sign-in fields (the entry declares none)', async () => {
    const session = await h.get('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u1' } } });
    const page = await (await fetch(`${h.url}/connect?session=${session.data.token}`)).text();
    for (const name of ['username', 'password', 'organization_id', 'dev_key'])
      expect(page).toContain(`name="credentials.${name}"`);
  });

  it('wrong password: refused with Bill’s reason, nothing stored', async () => {
    const response = await connect('bill', { credentials: { ...entered, password: 'nope' } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_CREDENTIALS_REJECTED');
  });

  it('signs in, then every call carries devKey and sessionId', async () => {
    const response = await connect('bill', { credentials: entered });
    expect(response.status).toBe(201);
    id = ((await response.json()) as Body).connection_id;
    const vendors = await h.api('/proxy/v3/vendors', { headers: headers('bill', id) });
    expect(vendors.status).toBe(200);
    expect(bill.state.logins).toBe(2);
  });

  it('an ended session: the 401 signs in again once and the call succeeds', async () => {
    bill.endSessions();
    const vendors = await h.api('/proxy/v3/vendors', { headers: headers('bill', id) });
    expect(vendors.status).toBe(200);
    expect(bill.state.logins).toBe(3);
  });

  it('password changed at Bill: sign-in refused, needs_reauth', async () => {
    bill.state.revoked = true;
    bill.endSessions();
    const response = await h.api('/proxy/v3/vendors', { headers: headers('bill', id) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    expect(await authState('bill')).toBe('needs_reauth');
  });
});

describe('TBA (NetSuite token-based authentication)', () => {
  let id: string;

  it('connects with the token id and secret, then signs each call with HMAC-SHA256 and the account realm', async () => {
    const response = await connect('netsuite', {
      connection_config: { accountId: 'tstdrv-123' },
      credentials: { token_id: netsuite.token.id, token_secret: netsuite.token.secret },
    });
    expect(response.status).toBe(201);
    id = ((await response.json()) as Body).connection_id;
    for (let i = 0; i < 2; i++) {
      const call = await h.api('/proxy/customer?limit=5', { headers: headers('netsuite', id) });
      expect(call.status).toBe(200);
    }
    expect(ns.calls).toEqual(['GET /customer?limit=5', 'GET /customer?limit=5']);
  });

  it('a revoked token: the 401 marks the connection needs_reauth', async () => {
    ns.revoke();
    const response = await h.api('/proxy/customer', { headers: headers('netsuite', id) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    expect(await authState('netsuite')).toBe('needs_reauth');
  });
});

describe('secrets', () => {
  it('are never logged', () => {
    const text = h.logs.join('\n');
    for (const secret of [
      emarsysUser.secret,
      billAccount.password,
      billAccount.devKey,
      netsuite.token.secret,
      netsuite.consumer.secret,
    ])
      expect(text).not.toContain(secret);
  });
});
