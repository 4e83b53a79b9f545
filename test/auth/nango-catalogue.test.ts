import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { loadProviders, supportedAuthModes } from '@weft/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { browse } from './browse.js';

/**
 * Weft started with Nango's own catalogue (@nangohq/providers 0.71.10) as its providers file:
 * GET /providers serves all of it, and the real `salesforce` entry connects through a fake
 * Salesforce authorization server whose token response carries `instance_url` (as Salesforce's
 * does: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm),
 * after which the proxy calls that instance.
 */
const catalogueFile = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');
const KEY = 'my-salesforce';
const CLIENT = { id: 'sf-client', secret: 'sf-secret' };

let h: ApiHarness;
let login: Server;
let instance: Server;
let loginUrl: string;
let instanceUrl: string;
const tokenRequests: URLSearchParams[] = [];
const instanceCalls: Array<{ url: string; authorization: string | undefined }> = [];

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // The instance (e.g. https://acme.my.salesforce.com): the REST API, Bearer token required.
  instance = createServer((req, res) => {
    instanceCalls.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.headers.authorization !== 'Bearer sf-access-1') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('[{"errorCode":"INVALID_SESSION_ID"}]');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sobjects: [{ name: 'Account' }] }));
  });
  instanceUrl = await listen(instance);
  // login.salesforce.com: authorize redirects straight back (the user consents), token answers
  // with the instance the org lives on.
  login = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/services/oauth2/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', 'sf-code');
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === '/services/oauth2/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        const params = new URLSearchParams(body);
        tokenRequests.push(params);
        if (params.get('code') !== 'sf-code' || params.get('client_secret') !== CLIENT.secret) {
          res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            access_token: 'sf-access-1',
            refresh_token: 'sf-refresh-1',
            signature: 'sig',
            scope: 'refresh_token api',
            instance_url: instanceUrl,
            id: `${loginUrl}/id/00D/005`,
            token_type: 'Bearer',
            issued_at: String(Date.now()),
          }),
        );
      });
      return;
    }
    res.writeHead(404).end();
  });
  loginUrl = await listen(login);
  h = await startApi({ providers: await loadProviders(catalogueFile) });
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: KEY,
      provider: 'salesforce',
      credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
      // Only the login host changes; everything else is Nango's entry as shipped.
      overrides: {
        authorization_url: `${loginUrl}/services/oauth2/authorize`,
        token_url: `${loginUrl}/services/oauth2/token`,
      },
    },
  });
  expect(created.status, JSON.stringify(await created.clone().json())).toBe(201);
});

afterAll(async () => {
  login?.closeAllConnections();
  login?.close();
  instance?.closeAllConnections();
  instance?.close();
  await h?.close();
});

describe("Weft with Nango's whole catalogue", () => {
  it('GET /providers lists all 1,013 entries whole, each with weft.supported', async () => {
    const body: Body = await h.get('/providers');
    expect(body.data).toHaveLength(1013);
    const salesforce = body.data.find((p: Body) => p.name === 'salesforce');
    expect(salesforce).toMatchObject({
      name: 'salesforce',
      display_name: 'Salesforce',
      auth_mode: 'OAUTH2',
      categories: ['crm', 'popular'],
      token_response_metadata: ['instance_url'],
      webhook_routing_script: 'salesforceWebhookRouting',
      docs_connect: 'https://nango.dev/docs/api-integrations/salesforce/connect',
      logo_url: 'https://app.nango.dev/images/template-logos/salesforce.svg',
      proxy: { base_url: '${connectionConfig.instance_url}' },
      weft: { supported: true },
    });
    const modes = new Set(supportedAuthModes as readonly string[]);
    const usable = body.data.filter((p: Body) => p.weft.supported);
    // Usable = the auth mode is implemented (one registry) and no other blocker. Every mode but MCP_*
    // and INSTALL_PLUGIN is in (CUSTOM last): 1,013 - 32 MCP_* - 1 INSTALL_PLUGIN - ADP's 5 (mutual TLS).
    const blocked = ['adp', 'adp-lyric', 'adp-run', 'adp-workforce-now', 'adp-workforce-now-next-gen'];
    expect(usable.length).toBe(
      body.data.filter((p: Body) => modes.has(p.auth_mode) && !blocked.includes(p.name)).length,
    );
    expect(usable.length).toBe(975);
    expect(usable.length).toBeGreaterThanOrEqual(975);
    expect(
      body.data.filter((p: Body) => !p.weft.supported && !blocked.includes(p.name)).map((p: Body) => p.auth_mode),
    ).toEqual(
      body.data
        .filter((p: Body) => p.auth_mode.startsWith('MCP_') || p.auth_mode === 'INSTALL_PLUGIN')
        .map((p: Body) => p.auth_mode),
    );
    for (const p of body.data.filter((e: Body) => e.auth_mode.startsWith('MCP_') || e.auth_mode === 'INSTALL_PLUGIN'))
      expect(p.weft, p.name).toMatchObject({ supported: false, reason: expect.stringContaining(p.auth_mode) });
  });

  it('GET /providers/:name returns one entry, ?search filters, unknown names are a 400 with a code', async () => {
    const one: Body = await h.get('/providers/quickbooks');
    expect(one.data).toMatchObject({
      name: 'quickbooks',
      redirect_uri_metadata: ['realmId'],
      weft: { supported: true },
    });
    const adp: Body = await h.get('/providers/adp');
    expect(adp.data.weft).toMatchObject({ supported: false, reason: expect.stringContaining('client certificate') });
    expect(adp.data.weft.warnings).toEqual([
      { field: 'require_client_certificate', reason: expect.stringContaining('mutual TLS') },
    ]);
    const found: Body = await h.get('/providers?search=salesforce');
    expect(found.data.map((p: Body) => p.name)).toContain('salesforce-sandbox');
    expect(found.data.every((p: Body) => p.name.includes('salesforce'))).toBe(true);
    const missing = await h.api('/providers/no-such-provider');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Body).error.code).toBe('WEFT_AUTH_UNKNOWN_PROVIDER');
  });

  it('refuses an integration for an entry Weft cannot serve, with the reason', async () => {
    const response = await h.api('/integrations', {
      method: 'POST',
      json: { unique_key: 'adp', provider: 'adp', credentials: { client_id: 'a', client_secret: 'b' } },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Body;
    expect(body.error.code).toBe('WEFT_AUTH_PROVIDER_UNSUPPORTED');
    expect(body.error.message).toContain('client certificate');
  });

  it('connects Salesforce: instance_url from the token response lands in connection_config and the proxy calls that instance', async () => {
    const session = await h.api('/connect/sessions', {
      method: 'POST',
      json: { end_user: { id: 'sf-user' }, allowed_integrations: [KEY] },
    });
    const token = ((await session.json()) as Body).data.token as string;
    const result = await browse(`${h.url}/oauth/connect/${KEY}?connect_session_token=${encodeURIComponent(token)}`);
    expect(result.status, result.body).toBe(200);
    expect(result.body).toContain('data-state="connected"');
    expect(tokenRequests.at(-1)?.get('grant_type')).toBe('authorization_code');

    const { rows } = await h.db.pool.query<{ connection_id: string }>(
      'SELECT connection_id FROM connections WHERE provider_config_key = $1',
      [KEY],
    );
    const connectionId = rows[0]?.connection_id as string;
    const connection: Body = await h.get(`/connection/${connectionId}?provider_config_key=${KEY}`);
    expect(connection.connection_config).toMatchObject({ instance_url: instanceUrl });

    const proxied = await h.api('/proxy/services/data/v60.0/sobjects', {
      headers: { 'Connection-Id': connectionId, 'Provider-Config-Key': KEY },
    });
    expect(proxied.status).toBe(200);
    expect(await proxied.json()).toEqual({ sobjects: [{ name: 'Account' }] });
    expect(instanceCalls.at(-1)).toEqual({ url: '/services/data/v60.0/sobjects', authorization: 'Bearer sf-access-1' });
  });
});
