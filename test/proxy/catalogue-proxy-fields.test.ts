import { createRequire } from 'node:module';
import { type ConnectionRef, loadProviders } from '@weft/auth';
import { createProxy, type OutboundProxy } from '@weft/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from './upstream.js';

/**
 * The proxy fields of Nango's catalogue entries, as shipped (only the base URL points at a
 * loopback upstream): `proxy.body` (Mandrill's key in every JSON body), `proxy.query` (Google
 * Maps' key), `proxy.retry.error_code` (GitHub's rate-limit 403).
 */
const catalogueFile = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');
let h: ApiHarness;
let up: Upstream;
let proxy: OutboundProxy;
const ref = (providerConfigKey: string): ConnectionRef => ({
  environmentId: h.environmentId,
  providerConfigKey,
  connectionId: `${providerConfigKey}-1`,
});

beforeAll(async () => {
  h = await startApi({ providers: await loadProviders(catalogueFile) });
  up = await new Upstream().start();
  proxy = createProxy({ credentials: h.auth, policy: { allowPrivateNetwork: true }, baseRetryDelayMs: 20 });
  for (const [key, apiKey] of [
    ['mandrill', 'md-key'],
    ['google-maps', 'AIza-key'],
    ['github-pat', 'ghp_key'],
  ] as const) {
    const created = await h.api('/integrations', {
      method: 'POST',
      json: { unique_key: key, provider: key, overrides: { proxy: { base_url: up.url } } },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const connection = await h.api('/connection', {
      method: 'POST',
      json: { connection_id: `${key}-1`, provider_config_key: key, credentials: { type: 'API_KEY', apiKey } },
    });
    expect(connection.status, await connection.clone().text()).toBe(201);
  }
});

afterAll(async () => {
  await proxy?.close();
  await up?.stop();
  await h?.close();
});

describe("proxy fields of Nango's catalogue entries", () => {
  it('proxy.body: the templated key joins the JSON body of a write (and is the body when there is none)', async () => {
    up.reset((_req, res) => json(res, 200, { ok: true }));
    await proxy.request(ref('mandrill'), {
      endpoint: '/1.0/messages/send',
      method: 'POST',
      data: { message: { subject: 'hi' } },
    });
    expect(JSON.parse(up.seen[0]?.body ?? '')).toEqual({ message: { subject: 'hi' }, key: 'md-key' });
    expect(up.seen[0]?.headers['content-type']).toBe('application/json');
    await proxy.request(ref('mandrill'), { endpoint: '/1.0/users/ping', method: 'POST' });
    expect(JSON.parse(up.seen[1]?.body ?? '')).toEqual({ key: 'md-key' });
    // Reads carry no body.
    await proxy.request(ref('mandrill'), { endpoint: '/1.0/x' });
    expect(up.seen[2]?.body).toBe('');
  });

  it('proxy.query: the templated key goes in the query string, not in an Authorization header', async () => {
    up.reset((_req, res) => json(res, 200, { results: [] }));
    await proxy.request(ref('google-maps'), { endpoint: '/maps/api/geocode/json', params: { address: 'x' } });
    expect(up.seen[0]?.url).toBe('/maps/api/geocode/json?address=x&key=AIza-key');
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
  });

  it("proxy.retry.error_code: GitHub's 403 rate limit is retried at x-ratelimit-reset", async () => {
    let calls = 0;
    up.reset((_req, res) => {
      calls += 1;
      if (calls === 1) {
        json(
          res,
          403,
          { message: 'API rate limit exceeded' },
          { 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
        );
        return;
      }
      json(res, 200, { login: 'octocat' });
    });
    const response = await proxy.request(ref('github-pat'), { endpoint: '/user' });
    expect(response).toMatchObject({ status: 200, data: { login: 'octocat' } });
    expect(up.seen.map((r) => r.headers.authorization)).toEqual(['Bearer ghp_key', 'Bearer ghp_key']);
  });
});
