import type { ServerResponse } from 'node:http';
import type { ConnectionRef } from '@weft/auth';
import { createProxy, type OutboundProxy } from '@weft/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, type SeenRequest, Upstream } from './upstream.js';

// Two real loopback servers on different origins: the provider's API (127.0.0.1:<a>) and a
// foreign host (localhost:<b>) that redirects must not hand any credential to.
let h: ApiHarness;
let provider: Upstream;
let foreign: Upstream;
let foreignUrl: string;
let proxy: OutboundProxy;

const ref = (providerConfigKey: string, connectionId: string): ConnectionRef => ({
  environmentId: h.environmentId,
  providerConfigKey,
  connectionId,
});

async function post(path: string, body: Record<string, unknown>) {
  const response = await h.api(path, { method: 'POST', json: body });
  expect(response.status, await response.clone().text()).toBe(201);
}

interface Mode {
  name: string;
  key: string;
  connection: string;
  /** Every secret this mode injects, as it appears on the wire. */
  secrets: string[];
  /** Where the first request goes (the origin credentials belong to). */
  baseUrlOverride?: string;
}

const modes: Mode[] = [
  { name: 'OAUTH2', key: 'm-oauth2', connection: 'c-oauth2', secrets: ['oauth2-access-token'] },
  { name: 'OAUTH2_CC', key: 'm-cc', connection: 'c-cc', secrets: ['client-credentials-token'] },
  { name: 'API_KEY in a header', key: 'm-key-header', connection: 'c-key-header', secrets: ['header-api-key'] },
  { name: 'API_KEY in the query', key: 'm-key-query', connection: 'c-key-query', secrets: ['query-api-key'] },
  {
    name: 'BASIC',
    key: 'm-basic',
    connection: 'c-basic',
    secrets: ['basic-user', 'basic-password', Buffer.from('basic-user:basic-password').toString('base64')],
  },
  { name: 'secondary token', key: 'm-secondary', connection: 'c-secondary', secrets: ['secondary-sharepoint-token'] },
];

// providers.yaml templates, not JavaScript ones.
const API_KEY_TEMPLATE = ['$', '{apiKey}'].join('');

beforeAll(async () => {
  h = await startApi();
  provider = await new Upstream().start();
  foreign = await new Upstream().start();
  foreignUrl = foreign.url.replace('127.0.0.1', 'localhost');
  proxy = createProxy({ credentials: h.auth, policy: { allowPrivateNetwork: true }, baseRetryDelayMs: 5 });
  const expires = new Date(Date.now() + 3600_000).toISOString();
  await post('/integrations', {
    unique_key: 'm-oauth2',
    provider: 'oauth2-generic',
    credentials: { client_id: 'app', client_secret: 's' },
    overrides: { proxy: { base_url: provider.url } },
  });
  await post('/connection', {
    connection_id: 'c-oauth2',
    provider_config_key: 'm-oauth2',
    credentials: { type: 'OAUTH2', access_token: 'oauth2-access-token', expires_at: expires },
  });
  await post('/integrations', {
    unique_key: 'm-cc',
    provider: 'microsoft-oauth2-cc',
    credentials: { client_id: 'app', client_secret: 's' },
    overrides: { proxy: { base_url: provider.url } },
  });
  await post('/connection', {
    connection_id: 'c-cc',
    provider_config_key: 'm-cc',
    credentials: { type: 'OAUTH2_CC', token: 'client-credentials-token', expires_at: expires },
    connection_config: { tenantId: 'contoso' },
  });
  await post('/integrations', {
    unique_key: 'm-key-header',
    provider: 'github-pat',
    overrides: { proxy: { base_url: provider.url, headers: { 'x-api-key': API_KEY_TEMPLATE } } },
  });
  await post('/connection', {
    connection_id: 'c-key-header',
    provider_config_key: 'm-key-header',
    credentials: { type: 'API_KEY', apiKey: 'header-api-key' },
  });
  await post('/integrations', {
    unique_key: 'm-key-query',
    provider: 'github-pat',
    overrides: { proxy: { base_url: provider.url, query: { api_key: API_KEY_TEMPLATE } } },
  });
  await post('/connection', {
    connection_id: 'c-key-query',
    provider_config_key: 'm-key-query',
    credentials: { type: 'API_KEY', apiKey: 'query-api-key' },
  });
  await post('/integrations', { unique_key: 'm-basic', provider: 'basic-http' });
  await post('/connection', {
    connection_id: 'c-basic',
    provider_config_key: 'm-basic',
    credentials: { type: 'BASIC', username: 'basic-user', password: 'basic-password' },
    connection_config: { baseUrl: provider.url },
  });
  // The secondary token's host is the provider server; the primary API is elsewhere.
  await post('/integrations', {
    unique_key: 'm-secondary',
    provider: 'sharepoint-online',
    credentials: { client_id: 'app', client_secret: 's' },
    overrides: { proxy: { base_url: 'http://127.0.0.1:9' } },
  });
  await post('/connection', {
    connection_id: 'c-secondary',
    provider_config_key: 'm-secondary',
    credentials: { type: 'OAUTH2', access_token: 'primary-graph-token', expires_at: expires },
    connection_config: {
      sharepointHost: new URL(provider.url).host,
      sharepointAccessToken: 'secondary-sharepoint-token',
    },
  });
  const secondary = modes.find((m) => m.key === 'm-secondary');
  if (secondary) secondary.baseUrlOverride = provider.url;
});

afterAll(async () => {
  await proxy?.close();
  await provider?.stop();
  await foreign?.stop();
  await h?.close();
});

/** Every secret of the mode that shows up anywhere in a request (URL, any header). */
function leaked(seen: SeenRequest[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const request of seen) {
    const wire = `${request.url}\n${JSON.stringify(request.headers)}`;
    for (const secret of secrets)
      if (wire.includes(secret)) found.push(`${secret} in ${request.method} ${request.url}`);
  }
  return found;
}

function redirect(res: ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location }).end();
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  /** The provider's answer to the first request (it saw the credentials). */
  first: (mode: Mode, req: SeenRequest, res: ServerResponse) => void;
  /** The foreign host's answers, by request path. */
  foreign: (req: SeenRequest, res: ServerResponse) => void;
  /** Requests the provider server sees in total (the chain may come back to it). */
  providerRequests: number;
}

const scenarios: Scenario[] = [
  {
    name: '302 to an absolute URL on another origin',
    method: 'GET',
    first: (_m, _req, res) => redirect(res, 302, `${foreignUrl}/download`),
    foreign: (_req, res) => json(res, 200, { landed: true }),
    providerRequests: 1,
  },
  {
    name: '307 (POST kept) to a scheme-relative Location on another origin',
    method: 'POST',
    first: (_m, _req, res) => redirect(res, 307, `//${new URL(foreignUrl).host}/upload`),
    foreign: (_req, res) => json(res, 200, { landed: true }),
    providerRequests: 1,
  },
  {
    name: '308 whose Location echoes the original query (and the key) to another origin',
    method: 'GET',
    first: (_m, req, res) => redirect(res, 308, `${foreignUrl}/moved${req.url.slice(req.url.indexOf('?'))}`),
    foreign: (_req, res) => json(res, 200, { landed: true }),
    providerRequests: 1,
  },
  {
    name: 'a chain: 302 away, relative 307 there, 308 back to the origin',
    method: 'GET',
    first: (_m, req, res) =>
      req.url.startsWith('/back') ? json(res, 200, { landed: true }) : redirect(res, 302, `${foreignUrl}/hop1`),
    foreign: (req, res) =>
      req.url.startsWith('/hop1') ? redirect(res, 307, '/hop2?x=1') : redirect(res, 308, `${provider.url}/back`),
    providerRequests: 2,
  },
];

describe('no credential follows a redirect to another origin', () => {
  for (const mode of modes) {
    for (const scenario of scenarios) {
      it(`${mode.name}: ${scenario.name}`, async () => {
        provider.reset((req, res) => scenario.first(mode, req, res));
        foreign.reset(scenario.foreign);
        const response = await proxy.request(ref(mode.key, mode.connection), {
          method: scenario.method,
          endpoint: '/start',
          params: { page: 1 },
          ...(scenario.method === 'POST' ? { data: { a: 1 } } : {}),
          ...(mode.baseUrlOverride ? { baseUrlOverride: mode.baseUrlOverride } : {}),
        });
        expect(response).toMatchObject({ status: 200, data: { landed: true } });
        // The provider's origin did get the credentials on the first request…
        expect(leaked(provider.seen.slice(0, 1), mode.secrets)).not.toEqual([]);
        expect(provider.seen).toHaveLength(scenario.providerRequests);
        // …and nothing after the chain left it: not the foreign host, not the way back.
        expect(foreign.seen.length).toBeGreaterThan(0);
        expect(leaked(foreign.seen, mode.secrets)).toEqual([]);
        expect(leaked(provider.seen.slice(1), mode.secrets)).toEqual([]);
        if (scenario.method === 'POST') expect(foreign.seen[0]).toMatchObject({ method: 'POST', body: '{"a":1}' });
      });
    }
  }

  it('keeps credentials on a same-origin redirect', async () => {
    provider.reset((req, res) =>
      req.url.startsWith('/start') ? redirect(res, 302, '/next') : json(res, 200, { landed: true }),
    );
    await proxy.request(ref('m-oauth2', 'c-oauth2'), { endpoint: '/start' });
    expect(provider.seen.map((r) => r.headers.authorization)).toEqual([
      'Bearer oauth2-access-token',
      'Bearer oauth2-access-token',
    ]);
  });
});

describe('non-HTTP(S) URLs', () => {
  it('fail at once with WEFT_PROXY_UNSUPPORTED_SCHEME, never retried', async () => {
    await expect(
      proxy.request(ref('m-oauth2', 'c-oauth2'), { baseUrlOverride: 'ftp://127.0.0.1:21', endpoint: '/file' }),
    ).rejects.toMatchObject({ code: 'WEFT_PROXY_UNSUPPORTED_SCHEME' });
    await expect(
      proxy.request(ref('m-oauth2', 'c-oauth2'), { endpoint: 'file:///etc/passwd', baseUrlOverride: 'file:///etc' }),
    ).rejects.toMatchObject({ code: 'WEFT_PROXY_UNSUPPORTED_SCHEME' });
    // A redirect to another scheme: one request to the provider, no retries.
    provider.reset((_req, res) => redirect(res, 302, 'ftp://127.0.0.1/secret'));
    await expect(proxy.request(ref('m-oauth2', 'c-oauth2'), { endpoint: '/start' })).rejects.toMatchObject({
      code: 'WEFT_PROXY_UNSUPPORTED_SCHEME',
    });
    expect(provider.seen).toHaveLength(1);
  });
});
