import { request as httpRequest } from 'node:http';
import { connectionRowId } from '@weft/db';
import { compileIntegration } from '@weft/runner';
import { registeredRoutes } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { scriptOnTheWire } from '../helpers/script-wire.js';
import { type DemoApi, startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const NUL = '\u0000';

let h: ApiHarness;
let api: DemoApi;
let compiledItems: Record<string, unknown>;

interface Probe {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON) or raw text (sent as is, application/json). */
  json?: unknown;
  raw?: string;
}

const connectionHeaders = { 'connection-id': 'conn-1', 'provider-config-key': 'demo' };
const nulHeaders = { 'connection-id': `conn${NUL}1`, 'provider-config-key': `de${NUL}mo` };

// Query parameters every route might read, each bad on its own.
const badQueries = [
  `modified_after=0000-00-00`,
  `modified_after=0000-01-01T00:00:00Z`,
  `modified_after=2026-02-31T00:00:00Z`,
  `since=0000-01-01T00:00:00Z`,
  `until=99999-12-31T00:00:00Z`,
  `search=%00`,
  `search=%25`,
  `limit=-1`,
  `limit=abc`,
  `limit=1e309`,
  `cursor=%00`,
  `cursor=${'z'.repeat(300)}`,
  `model=It%00em`,
  `ids=%00`,
  `filter=%00`,
  `connection_id=%00`,
  `connection_id=99999999999999999999999`,
  `provider_config_key=%00`,
  `end_user_id=%00`,
  `sync_name=%00`,
  `syncs=%00`,
  `event_id=%00`,
  `state=%00`,
  `before=%00`,
  `before=99999999999999999999999`,
  `run_id=%00`,
  `integration=%00`,
  `name=%00`,
  `type=%00`,
  `include=%00`,
  `force_refresh=%00`,
  `session=%00`,
  `connect_session_token=%00`,
  `state=${'s'.repeat(5000)}`,
  `code=%00`,
  `error=%00`,
];

// Bodies: wrong shapes, NUL bytes in every field a route might read, wrong types.
const nulObject = (): Record<string, unknown> => {
  const fields = [
    'provider_config_key',
    'connection_id',
    'unique_key',
    'provider',
    'action_name',
    'sync_name',
    'frequency',
    'primary_url',
    'secondary_url',
    'model',
    'until_cursor',
    'sync_mode',
    'display_name',
  ];
  const body: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, `x${NUL}y`]));
  body.syncs = [`items${NUL}`];
  body.end_user = { id: `user${NUL}`, email: `a${NUL}@b.c` };
  body.metadata = { [`k${NUL}`]: `v${NUL}` };
  body.connection_config = { tenant: `t${NUL}` };
  body.credentials = { type: 'API_KEY', apiKey: `k${NUL}`, client_id: `c${NUL}`, client_secret: NUL };
  body.input = { id: `item${NUL}` };
  body.authorization_params = { prompt: NUL };
  return body;
};
const wrongTypes = (): Record<string, unknown> => ({
  provider_config_key: 42,
  connection_id: { nested: true },
  syncs: 'items',
  metadata: [1, 2],
  limit: 'all',
  frequency: -1,
  end_user: 'me',
  credentials: null,
  scripts: 'nope',
});
const deep = (): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < 1_000; i++) value = { d: value };
  return value;
};
const badBodies = (): Array<Pick<Probe, 'json' | 'raw'>> => [
  { json: {} },
  { json: [] },
  { json: null },
  { json: 'text' },
  { json: 12 },
  { json: nulObject() },
  { json: wrongTypes() },
  { raw: '{"provider_config_key": "demo", "x": "\\u0000"}' },
  { raw: '{"unterminated": ' },
  { raw: JSON.stringify(deep()) },
];

/** A route's URL with its parameters filled in (`value` for each `:param`, a wildcard's tail). */
const fill = (url: string, value: string) => url.replace(/:[A-Za-z]+/g, value).replace(/\*$/, `v1/${value}`);

/** Everything the test sends to one route, generic bad inputs plus the route's own cases. */
function probesFor(method: string, url: string): Probe[] {
  const probes: Probe[] = [];
  const paramValues = [
    'conn-1',
    `a${encodeURIComponent(NUL)}b`,
    '%25',
    'x'.repeat(3_000),
    '00000000-0000-0000-0000-00000000000%00',
  ];
  const urls = /[:*]/.test(url) ? paramValues.map((v) => fill(url, v)) : [url];
  for (const target of urls) {
    probes.push({ method, url: target, headers: connectionHeaders });
    for (const query of badQueries) probes.push({ method, url: `${target}?${query}`, headers: connectionHeaders });
    probes.push({ method, url: target, headers: nulHeaders });
  }
  if (method === 'POST' || method === 'PUT' || method === 'PATCH')
    for (const body of badBodies()) probes.push({ method, url: urls[0] ?? url, headers: connectionHeaders, ...body });
  return probes;
}

// Every route the server registers must appear here, with the inputs specific to it (most need
// none beyond the generic ones). A new route without an entry fails the first test.
const specific: Record<string, () => Probe[]> = {
  'GET /health': () => [],
  'GET /environment': () => [],
  'GET /providers': () => [],
  'GET /integrations': () => [],
  'POST /integrations': () => [
    { method: 'POST', url: '/integrations', json: { unique_key: `a${NUL}`, provider: 'github-pat' } },
    {
      method: 'POST',
      url: '/integrations',
      json: { unique_key: 'x', provider: 'github-pat', overrides: { proxy: { base_url: NUL } } },
    },
  ],
  'GET /integrations/:key': () => [],
  'PATCH /integrations/:key': () => [{ method: 'PATCH', url: '/integrations/demo', json: { display_name: NUL } }],
  'DELETE /integrations/:key': () => [],
  'GET /integrations/:key/status': () => [],
  'POST /connect/sessions': () => [
    { method: 'POST', url: '/connect/sessions', json: { end_user: { id: `u${NUL}` } } },
    { method: 'POST', url: '/connect/sessions', json: { end_user: { id: 'u' }, allowed_integrations: [NUL] } },
  ],
  'GET /connect': () => [{ method: 'GET', url: '/connect?session=%00' }],
  'POST /connect/credentials/:key': () => [
    { method: 'POST', url: '/connect/credentials/demo?session=%00', json: { api_key: NUL } },
    { method: 'POST', url: '/connect/credentials/demo', raw: 'api_key=%00' },
  ],
  'GET /oauth/connect/:key': () => [{ method: 'GET', url: '/oauth/connect/demo?connect_session_token=%00' }],
  'GET /oauth/callback': () => [{ method: 'GET', url: '/oauth/callback?state=%00&code=%00' }],
  'GET /connections': () => [
    { method: 'GET', url: '/connections?search=%25' },
    { method: 'GET', url: '/connections?search=_' },
    { method: 'GET', url: '/connections?search=%5C' },
  ],
  'GET /connection/:connectionId': () => [{ method: 'GET', url: '/connection/conn-1?provider_config_key=%00' }],
  'DELETE /connection/:connectionId': () => [{ method: 'DELETE', url: '/connection/nope?provider_config_key=%00' }],
  'POST /connection': () => [
    {
      method: 'POST',
      url: '/connection',
      json: { connection_id: `c${NUL}`, provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
    },
    {
      method: 'POST',
      url: '/connection',
      json: {
        connection_id: 'c-meta',
        provider_config_key: 'demo',
        credentials: { type: 'API_KEY', apiKey: 'k' },
        metadata: { a: NUL },
      },
    },
  ],
  'POST /connection/metadata': () => [
    {
      method: 'POST',
      url: '/connection/metadata',
      json: { connection_id: 'conn-1', provider_config_key: 'demo', metadata: { a: `b${NUL}` } },
    },
    {
      method: 'POST',
      url: '/connection/metadata',
      json: { connection_id: `conn${NUL}`, provider_config_key: 'demo', metadata: {} },
    },
  ],
  'PATCH /connection/metadata': () => [
    {
      method: 'PATCH',
      url: '/connection/metadata',
      json: { connection_id: 'conn-1', provider_config_key: 'demo', metadata: { [NUL]: 1 } },
    },
  ],
  'GET /connections/:connectionId/status': () => [
    { method: 'GET', url: '/connections/conn-1/status?provider_config_key=%00' },
  ],
  'GET /logs': () => [{ method: 'GET', url: '/logs?since=0000-00-00&until=2026-13-45T00:00:00Z' }],
  'GET /logs/proxy': () => [],
  'GET /records': () => [
    { method: 'GET', url: '/records?model=Item&modified_after=0000-00-00', headers: connectionHeaders },
    { method: 'GET', url: '/records?model=Item&modified_after=0000-01-01T00:00:00Z', headers: connectionHeaders },
    { method: 'GET', url: '/records?model=Item&modified_after=2026-02-31T00:00:00Z', headers: connectionHeaders },
    { method: 'GET', url: '/records?model=Item&cursor=%00', headers: connectionHeaders },
    { method: 'GET', url: '/records?model=Item&ids=%00', headers: connectionHeaders },
    { method: 'GET', url: '/records?model=Item&cursor=AAAA', headers: connectionHeaders },
  ],
  'PATCH /records/prune': () => [
    { method: 'PATCH', url: '/records/prune', headers: connectionHeaders, json: { model: 'Item', until_cursor: NUL } },
    {
      method: 'PATCH',
      url: '/records/prune',
      headers: connectionHeaders,
      json: { model: 'Item', until_cursor: 'zzzz' },
    },
  ],
  'POST /deploy': () => {
    const base = compiledItems;
    const definition = base.definition as Record<string, unknown>;
    const { models: _m, ...withoutModels } = definition;
    return [
      {
        method: 'POST',
        url: '/deploy',
        json: { provider_config_key: 'demo', scripts: [{ ...base, definition: withoutModels }] },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: {
          provider_config_key: 'demo',
          scripts: [{ ...base, definition: { ...definition, frequencySeconds: 0 } }],
        },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: {
          provider_config_key: 'demo',
          scripts: [{ ...base, definition: { ...definition, frequencySeconds: 'often' } }],
        },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: { provider_config_key: 'demo', scripts: [{ ...base, definition: { kind: 'sync' } }] },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: {
          provider_config_key: 'demo',
          scripts: [{ ...base, definition: { ...definition, models: { Item: 'not a schema' } } }],
        },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: { provider_config_key: 'demo', scripts: [{ ...base, bundle: 'export default {{{ syntax error' }] },
      },
      {
        method: 'POST',
        url: '/deploy',
        json: { provider_config_key: 'demo', scripts: [{ ...base, name: `items${NUL}` }] },
      },
      { method: 'POST', url: '/deploy', json: { provider_config_key: 'nope', scripts: [base] } },
    ];
  },
  'POST /deploy/rollback': () => [{ method: 'POST', url: '/deploy/rollback', json: { provider_config_key: NUL } }],
  'GET /deployments': () => [],
  'GET /scripts/config': () => [],
  'POST /action/trigger': () => [
    { method: 'POST', url: '/action/trigger', headers: connectionHeaders, json: { action_name: `get-item${NUL}` } },
    {
      method: 'POST',
      url: '/action/trigger',
      headers: connectionHeaders,
      json: { action_name: 'get-item', input: { id: NUL } },
    },
    {
      method: 'POST',
      url: '/action/trigger',
      headers: { ...connectionHeaders, 'x-async': 'maybe' },
      json: { action_name: 'get-item' },
    },
  ],
  'GET /action/:id': () => [{ method: 'GET', url: '/action/00000000-0000-0000-0000-000000000000' }],
  'POST /dryrun': () => [
    {
      method: 'POST',
      url: '/dryrun',
      json: {
        provider_config_key: 'demo',
        connection_id: 'conn-1',
        script: { ...compiledItems, bundle: 'function (' },
      },
    },
    {
      method: 'POST',
      url: '/dryrun',
      json: {
        provider_config_key: 'demo',
        connection_id: 'conn-1',
        script: compiledItems,
        last_sync_date: '0000-01-01T00:00:00Z',
      },
    },
  ],
  'POST /sync/trigger': () => [
    { method: 'POST', url: '/sync/trigger', json: { provider_config_key: 'demo', syncs: ['items'], sync_mode: NUL } },
    {
      method: 'POST',
      url: '/sync/trigger',
      json: { provider_config_key: 'demo', syncs: [{ name: 'items', variant: NUL }] },
    },
  ],
  'POST /sync/pause': () => [],
  'POST /sync/start': () => [],
  'GET /sync/status': () => [{ method: 'GET', url: '/sync/status?provider_config_key=demo&syncs=%00' }],
  'PUT /sync/update-connection-frequency': () => [
    {
      method: 'PUT',
      url: '/sync/update-connection-frequency',
      json: { provider_config_key: 'demo', connection_id: 'conn-1', sync_name: 'items', frequency: 'every 0 seconds' },
    },
    {
      method: 'PUT',
      url: '/sync/update-connection-frequency',
      json: {
        provider_config_key: 'demo',
        connection_id: 'conn-1',
        sync_name: 'items',
        frequency: `every ${'9'.repeat(40)} days`,
      },
    },
  ],
  'GET /sync/runs': () => [],
  'GET /metrics': () => [],
  'GET /webhooks/settings': () => [],
  'PUT /webhooks/settings': () => [
    { method: 'PUT', url: '/webhooks/settings', json: { primary_url: 'file:///etc/passwd' } },
    { method: 'PUT', url: '/webhooks/settings', json: { primary_url: `https://x.example/${NUL}` } },
  ],
  'POST /webhooks/settings/rotate-secret': () => [
    { method: 'POST', url: '/webhooks/settings/rotate-secret', json: { grace_period_seconds: -5 } },
  ],
  'GET /webhooks/deliveries': () => [],
  'GET /webhooks/deliveries/:id': () => [],
  'POST /webhooks/deliveries/:id/replay': () => [],
  'POST /webhook/:environment/:integration': () => [
    { method: 'POST', url: '/webhook/dev/demo', raw: '{"id": "a\\u0000b"}' },
    { method: 'POST', url: '/webhook/dev/demo', raw: 'not json at all' },
    { method: 'POST', url: '/webhook/dev/demo', raw: JSON.stringify({ big: 'x'.repeat(2 * 1024 * 1024) }) },
    { method: 'POST', url: '/webhook/nope/demo', json: { a: 1 } },
    { method: 'POST', url: '/webhook/dev/nope', json: { a: 1 } },
    { method: 'POST', url: `/webhook/dev/demo?validationToken=${'%00'.repeat(10)}`, json: {} },
  ],
  'GET /dashboard': () => [],
  'GET /dashboard/:file': () => [{ method: 'GET', url: '/dashboard/..%2F..%2Fpackage.json' }],
  'GET /dashboard/vendor/:file': () => [{ method: 'GET', url: '/dashboard/vendor/..%2Fuplot.js' }],
  'GET /dashboard/api/overview': () => [
    { method: 'GET', url: '/dashboard/api/overview?range=1y' },
    { method: 'GET', url: '/dashboard/api/overview?range=24h&integration=%00' },
  ],
  'GET /dashboard/api/logs': () => [
    { method: 'GET', url: '/dashboard/api/logs?before_at=0000-00-00&before_id=x' },
    { method: 'GET', url: '/dashboard/api/logs?before_at=2026-01-01T00:00:00Z' },
    { method: 'GET', url: '/dashboard/api/logs?q=%00' },
  ],
  'GET /dashboard/api/connection': () => [
    { method: 'GET', url: '/dashboard/api/connection?provider_config_key=demo&connection_id=%00' },
  ],
  'GET /openapi.json': () => [],
  'GET /providers/:provider': () => [{ method: 'GET', url: '/providers/%00' }],
  // Nango client methods Weft answers with 501 WEFT_NOT_SUPPORTED (allowed below).
  'GET /providers/:provider/templates': () => [],
  'POST /integrations/quickstart': () => [],
  'GET /integrations/:uniqueKey/functions': () => [],
  'GET /integrations/:uniqueKey/functions/:name': () => [],
  'GET /integrations/:uniqueKey/functions/:name/code': () => [],
  'DELETE /integrations/:uniqueKey/functions/:name': () => [],
  'POST /sync/:name/variant/:variant': () => [],
  'DELETE /sync/:name/variant/:variant': () => [],
  'PATCH /connections/:connectionId': () => [],
  // Nango's plural route forms.
  'GET /connection': () => [{ method: 'GET', url: '/connection?connectionId=%00&search=%25' }],
  'GET /connections/:connectionId': () => [
    { method: 'GET', url: '/connections/conn-1?provider_config_key=demo&refresh_token=%00' },
  ],
  'DELETE /connections/:connectionId': () => [
    {
      method: 'DELETE',
      url: '/connections/nope?provider_config_key=%00',
      headers: { 'content-type': 'application/json' },
    },
  ],
  'POST /connections': () => [
    {
      method: 'POST',
      url: '/connections',
      json: { connection_id: `c${NUL}`, provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
    },
  ],
  'POST /connections/metadata': () => [
    {
      method: 'POST',
      url: '/connections/metadata',
      json: { connection_id: ['conn-1', `x${NUL}`], provider_config_key: 'demo', metadata: { a: 1 } },
    },
  ],
  'PATCH /connections/metadata': () => [
    {
      method: 'PATCH',
      url: '/connections/metadata',
      json: { connection_id: 'conn-1', provider_config_key: 'demo', metadata: { [NUL]: 1 } },
    },
  ],
  'POST /connect/sessions/reconnect': () => [
    { method: 'POST', url: '/connect/sessions/reconnect', json: { connection_id: `c${NUL}`, integration_id: 'demo' } },
    { method: 'POST', url: '/connect/sessions/reconnect', json: { connection_id: 'nope', integration_id: 'demo' } },
  ],
  'GET /environment-variables': () => [],
  'PUT /environment-variables': () => [
    { method: 'PUT', url: '/environment-variables', json: [{ name: `A${NUL}`, value: 'x' }] },
    { method: 'PUT', url: '/environment-variables', json: [{ name: 'A', value: NUL }] },
    { method: 'PUT', url: '/environment-variables', json: [{ name: 'A', value: 'x'.repeat(20_000) }] },
  ],
  // The Nango CLI's deploy.
  'POST /sync/deploy/confirmation': () => [
    { method: 'POST', url: '/sync/deploy/confirmation', json: { flowConfigs: 'nope' } },
    {
      method: 'POST',
      url: '/sync/deploy/confirmation',
      json: { flowConfigs: [{ providerConfigKey: NUL, syncName: 'x', type: 'sync', fileBody: { js: '(', ts: '' } }] },
    },
  ],
  'POST /sync/deploy': () => [
    {
      method: 'POST',
      url: '/sync/deploy',
      json: {
        flowConfigs: [
          {
            providerConfigKey: 'demo',
            syncName: 'x',
            type: 'sync',
            runs: 'every 0 seconds',
            fileBody: { js: 'x', ts: '' },
          },
        ],
      },
    },
  ],
  '* /proxy/*': () => [
    { method: 'GET', url: '/proxy/items', headers: { ...connectionHeaders, 'base-url-override': 'ftp://127.0.0.1/' } },
    { method: 'GET', url: '/proxy/items', headers: { ...connectionHeaders, retries: '-1' } },
  ],
};

beforeAll(async () => {
  h = await startApi({ scheduler: { concurrency: 0, tickMs: 60_000 } });
  api = await startDemoApi(10);
  await connectApiKeyIntegration(h, 'demo', 'conn-1', api.url);
  const compiled = await compileIntegration(`${fixtures}demo`);
  await h.runner.deploy(h.environmentId, 'demo', compiled);
  const items = compiled.find((s) => s.name === 'items');
  if (!items) throw new Error('fixture has no items sync');
  compiledItems = scriptOnTheWire(items);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await h?.close();
});

/** The routes as the table keys them: `METHOD url`, a route for every method being `* url`. */
function routeKeys(): string[] {
  const byUrl = new Map<string, Set<string>>();
  for (const { method, url } of registeredRoutes(h.app)) {
    if (method === 'HEAD') continue;
    const methods = byUrl.get(url) ?? new Set<string>();
    methods.add(method);
    byUrl.set(url, methods);
  }
  const keys: string[] = [];
  for (const [url, methods] of byUrl) {
    if (methods.size > 5) keys.push(`* ${url}`);
    else for (const method of methods) keys.push(`${method} ${url}`);
  }
  return keys.sort();
}

async function send(probe: Probe): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${h.secretKey}`, ...probe.headers };
  let payload: string | undefined;
  if (probe.raw !== undefined) payload = probe.raw;
  else if (probe.json !== undefined) payload = JSON.stringify(probe.json);
  if (payload !== undefined) headers['content-type'] ??= 'application/json';
  if (probe.raw?.startsWith('api_key=')) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await h.app.inject({
    method: probe.method as 'GET',
    url: probe.url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: response.statusCode, body: response.body };
}

describe('bad input on every route', () => {
  it('the table covers exactly the routes the server registers', () => {
    expect(routeKeys()).toEqual(Object.keys(specific).sort());
  });

  it('no bad input is answered 500, and every error has Weft’s shape without a host stack', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const key of routeKeys()) {
      const [method = 'GET', url = '/'] = key.split(' ');
      const methods = method === '*' ? ['GET', 'POST', 'DELETE'] : [method];
      const probes = [...methods.flatMap((m) => probesFor(m, url)), ...(specific[key]?.() ?? [])];
      for (const probe of probes) {
        sent++;
        const { status, body } = await send(probe);
        const what = `${probe.method} ${probe.url.slice(0, 120)} ${probe.json !== undefined ? JSON.stringify(probe.json).slice(0, 100) : (probe.raw?.slice(0, 60) ?? '')}`;
        // Deliberate: the Nango client methods whose feature Weft does not have.
        const notSupported = status === 501 && body.includes('"WEFT_NOT_SUPPORTED"');
        if (status >= 500 && !notSupported) {
          failures.push(`${status} ← ${what}: ${body.slice(0, 300)}`);
          continue;
        }
        // The proxy answers with the provider's own status and body (the demo API's 404s).
        if (status < 400 || (probe.url.startsWith('/proxy/') && !body.includes('"WEFT_'))) continue;
        let parsed: { error?: { code?: unknown; message?: unknown } } | undefined;
        try {
          parsed = JSON.parse(body);
        } catch {
          // HTML pages (the connect page) answer errors as pages; they must still not be 500s.
          if (!/^\s*</.test(body)) failures.push(`${status} not JSON ← ${what}: ${body.slice(0, 200)}`);
          continue;
        }
        if (typeof parsed?.error?.code !== 'string' || !/^WEFT_[A-Z0-9_]+$/.test(parsed.error.code))
          failures.push(`${status} without a Weft error code ← ${what}: ${body.slice(0, 200)}`);
        if (/(\/packages\/[a-z-]+\/src\/|node_modules\/|node:internal|isolated-vm boundary)/.test(body))
          failures.push(`${status} with a host stack ← ${what}: ${body.slice(0, 300)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, 300_000);
});

/** One raw HTTP/1.1 exchange (fetch refuses oversized headers itself). */
function rawRequest(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${h.secretKey}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe('the findings, one by one', () => {
  it('oversized headers and URLs, and over-long path segments, answer in Weft’s shape', async () => {
    const headers = await rawRequest('/health', { 'x-big': 'a'.repeat(20_000) });
    expect(headers.status).toBe(431);
    expect(errorOf(headers.body).code).toBe('WEFT_API_HEADERS_TOO_LARGE');
    const url = await rawRequest(`/records?model=${'a'.repeat(20_000)}`);
    expect(url.status).toBe(431);
    expect(errorOf(url.body).code).toBe('WEFT_API_HEADERS_TOO_LARGE');
    const segment = await send({ method: 'GET', url: `/integrations/${'k'.repeat(500)}` });
    expect(segment.status).toBe(414);
    expect(errorOf(segment.body).code).toBe('WEFT_API_URL_TOO_LONG');
  });

  it('NUL bytes and impossible dates are 400s naming the input', async () => {
    const metadata = await send({
      method: 'POST',
      url: '/connection/metadata',
      json: { connection_id: 'conn-1', provider_config_key: 'demo', metadata: { a: `b${NUL}` } },
    });
    expect(metadata.status).toBe(400);
    expect(errorOf(metadata.body).message).toContain('body.metadata.a');
    const id = await send({ method: 'GET', url: '/connection/a%00b?provider_config_key=demo' });
    expect(id.status).toBe(400);
    expect(errorOf(id.body).message).toContain('params.connectionId');
    for (const date of ['0000-00-00', '0000-01-01T00:00:00Z', '2026-02-31T00:00:00Z']) {
      const records = await send({
        method: 'GET',
        url: `/records?model=Item&modified_after=${date}`,
        headers: connectionHeaders,
      });
      expect(records.status, date).toBe(400);
      expect(errorOf(records.body).code).toBe('WEFT_API_INVALID_REQUEST');
    }
  });

  it('POST /deploy checks definitions with the compiler’s schema and refuses bundles that do not parse', async () => {
    const definition = compiledItems.definition as Record<string, unknown>;
    const { models: _m, ...withoutModels } = definition;
    const deploy = (script: Record<string, unknown>) =>
      send({ method: 'POST', url: '/deploy', json: { provider_config_key: 'demo', scripts: [script] } });
    const noModels = await deploy({ ...compiledItems, definition: withoutModels });
    expect(noModels.status).toBe(400);
    expect(errorOf(noModels.body).message).toContain('models');
    const everySecond = await deploy({ ...compiledItems, definition: { ...definition, frequencySeconds: 0 } });
    expect(everySecond.status).toBe(400);
    expect(errorOf(everySecond.body).message).toContain('frequencySeconds');
    const tooOften = await deploy({ ...compiledItems, definition: { ...definition, frequency: 'every 1 second' } });
    expect(tooOften.status).toBe(400);
    expect(errorOf(tooOften.body).message).toContain('30-second minimum');
    const syntax = await deploy({ ...compiledItems, bundle: 'export default {{{ syntax error' });
    expect(syntax.status).toBe(400);
    expect(errorOf(syntax.body).code).toBe('WEFT_RUNNER_INVALID_BUNDLE');
    const { rows } = await h.db.pool.query<{ frequency_seconds: number }>(
      "SELECT DISTINCT frequency_seconds FROM schedules WHERE sync_name = 'items'",
    );
    expect(rows).toEqual([{ frequency_seconds: 3600 }]);
  });

  it('a script that does not parse fails its dryrun without any host stack frame', async () => {
    const dry = await send({
      method: 'POST',
      url: '/dryrun',
      json: {
        provider_config_key: 'demo',
        connection_id: 'conn-1',
        script: { ...compiledItems, bundle: 'function (' },
      },
    });
    expect(dry.body).toContain('SyntaxError');
    expect(dry.body).not.toMatch(/packages\/runner|node_modules|node:internal|isolated-vm boundary/);
  });

  it('search= is a substring, not a LIKE pattern', async () => {
    for (const id of ['100%-real', 'under_score']) {
      const created = await send({
        method: 'POST',
        url: '/connection',
        json: { connection_id: id, provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
      });
      expect(created.status).toBe(201);
    }
    const ids = async (search: string) =>
      (
        JSON.parse((await send({ method: 'GET', url: `/connections?search=${encodeURIComponent(search)}` })).body) as {
          connections: Array<{ connection_id: string }>;
        }
      ).connections.map((c) => c.connection_id);
    expect(await ids('%')).toEqual(['100%-real']);
    expect(await ids('_')).toEqual(['under_score']);
    expect(await ids('CONN-')).toEqual(['conn-1']);
  });

  it('a record id Postgres cannot store fails the run as a non-retryable validation error naming the record', async () => {
    await send({ method: 'POST', url: '/integrations', json: { unique_key: 'bad-records', provider: 'github-pat' } });
    await send({
      method: 'POST',
      url: '/connection',
      json: { connection_id: 'b-1', provider_config_key: 'bad-records', credentials: { type: 'API_KEY', apiKey: 'k' } },
    });
    const [script] = await compileIntegration(`${fixtures}bad-records`);
    if (!script) throw new Error('no script');
    await h.runner.deploy(h.environmentId, 'bad-records', [script]);
    const { rows } = await h.db.pool.query<{ id: number }>("SELECT id FROM connections WHERE connection_id = 'b-1'");
    const result = await h.runner.runSync({
      runId: '00000000-0000-4000-8000-000000000016',
      environmentId: h.environmentId,
      connection: { id: connectionRowId(rows[0]?.id ?? 0), providerConfigKey: 'bad-records', connectionId: 'b-1' },
      syncName: 'nul-id',
      mode: 'incremental',
      lastSyncDate: null,
    });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ retryable: false });
    expect(`${result.error?.code} ${result.error?.message}`).toMatch(
      /WEFT_RECORDS_INVALID_RECORD|Postgres cannot store/,
    );
    expect(result.error?.message).toContain('Thing');
    expect(result.error?.message).toContain('bad');
    // The batch with the bad id wrote nothing; the one before it stays.
    const stored = await h.db.pool.query<{ external_id: string }>(
      'SELECT external_id FROM records WHERE connection_id = $1 ORDER BY external_id',
      [rows[0]?.id],
    );
    expect(stored.rows.map((r) => r.external_id)).toEqual(['good']);
  });
});
