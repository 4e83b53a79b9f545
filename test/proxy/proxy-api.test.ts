import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from './upstream.js';

let h: ApiHarness;
let up: Upstream;

beforeAll(async () => {
  h = await startApi();
  up = await new Upstream().start();
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'pat', provider: 'github-pat', overrides: { proxy: { base_url: up.url } } },
  });
  const imported = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: 'c1', provider_config_key: 'pat', credentials: { type: 'API_KEY', apiKey: 'ghp_x' } },
  });
  expect(imported.status).toBe(201);
});
afterAll(async () => {
  await up.stop();
  await h.close();
});

const headers = { 'Connection-Id': 'c1', 'Provider-Config-Key': 'pat' };

describe('ALL /proxy/*', () => {
  it('forwards method, path, query, prefixed headers and the body; injects credentials; streams the answer back', async () => {
    up.reset((req, res) => json(res, 201, { echoed: req.body, path: req.url }, { 'x-provider': 'yes' }));
    const response = await h.api('/proxy/repos/weft/issues?state=open', {
      method: 'POST',
      headers: {
        ...headers,
        'Nango-Proxy-X-Custom': 'n',
        'Weft-Proxy-X-Other': 'w',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'hi' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-provider')).toBe('yes');
    expect(await response.json()).toEqual({ echoed: '{"title":"hi"}', path: '/repos/weft/issues?state=open' });
    expect(up.seen[0]?.headers).toMatchObject({
      authorization: 'Bearer ghp_x',
      'x-custom': 'n',
      'x-other': 'w',
      'content-type': 'application/json',
    });
    expect(up.seen[0]?.headers['connection-id']).toBeUndefined();
  });

  it("returns the provider's error status and body", async () => {
    up.reset((_req, res) => json(res, 422, { message: 'Validation Failed' }));
    const response = await h.api('/proxy/x', { headers });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ message: 'Validation Failed' });
  });

  it('missing headers and unknown connections are stable errors; calls are logged', async () => {
    const missing = await h.api('/proxy/x', { headers: { 'Provider-Config-Key': 'pat' } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Body).error.code).toBe('WEFT_API_INVALID_REQUEST');
    const unknown = await h.api('/proxy/x', { headers: { 'Connection-Id': 'nope', 'Provider-Config-Key': 'pat' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Body).error.code).toBe('WEFT_AUTH_CONNECTION_NOT_FOUND');
    // The log is written in batches every few ms: poll (bounded) until the 422 call is there.
    let logs: Body = { requests: [] };
    const complete = () =>
      logs.requests.some((r: Body) => r.status === 422) &&
      logs.requests.some((r: Body) => r.error_code === 'WEFT_AUTH_CONNECTION_NOT_FOUND');
    for (let i = 0; i < 100 && !complete(); i++) {
      logs = await h.get('/logs/proxy?provider_config_key=pat');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(logs.requests).toContainEqual(
      expect.objectContaining({ method: 'GET', status: 422, attempts: 1, url: `${up.url}/x` }),
    );
    expect(logs.requests).toContainEqual(expect.objectContaining({ error_code: 'WEFT_AUTH_CONNECTION_NOT_FOUND' }));
  });
});
