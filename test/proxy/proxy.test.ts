import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ConnectionRef, interpolate } from '@weft/auth';
import { createProxy, type OutboundProxy, ProxyRequestLog, paginate } from '@weft/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse } from '../auth/browse.js';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from './upstream.js';

let h: ApiHarness;
let up: Upstream;
let ms: MicrosoftIdentityFake;
let proxy: OutboundProxy;
let log: ProxyRequestLog;

const ref = (providerConfigKey: string, connectionId: string): ConnectionRef => ({
  environmentId: h.environmentId,
  providerConfigKey,
  connectionId,
});

async function integration(body: Record<string, unknown>) {
  const response = await h.api('/integrations', { method: 'POST', json: body });
  expect(response.status, await response.clone().text()).toBe(201);
}

async function importConnection(body: Record<string, unknown>) {
  const response = await h.api('/connection', { method: 'POST', json: body });
  expect(response.status, await response.clone().text()).toBe(201);
}

beforeAll(async () => {
  h = await startApi();
  up = await new Upstream().start();
  ms = await startMicrosoftIdentityFake({
    clients: { app: { secret: 's', redirectUris: [`${h.url}/oauth/callback`] } },
  });
  log = new ProxyRequestLog(h.db.pool, { intervalMs: 10 });
  proxy = createProxy({ credentials: h.auth, policy: { allowPrivateNetwork: true }, log, baseRetryDelayMs: 20 });
  await integration({
    unique_key: 'pat',
    provider: 'github-pat',
    overrides: { proxy: { base_url: up.url, verification: { endpoints: ['/user'] } } },
  });
  await importConnection({
    connection_id: 'pat-1',
    provider_config_key: 'pat',
    credentials: { type: 'API_KEY', apiKey: 'ghp_secret' },
  });
  await integration({ unique_key: 'basic', provider: 'basic-http' });
  await importConnection({
    connection_id: 'basic-1',
    provider_config_key: 'basic',
    credentials: { type: 'BASIC', username: 'ann', password: 'pw' },
    connection_config: { baseUrl: up.url },
  });
  await integration({
    unique_key: 'blob',
    provider: 'azure-blob-storage',
    credentials: { client_id: 'app', client_secret: 's' },
    overrides: { proxy: { base_url: `${up.url}/\${connectionConfig.accountName}` } },
  });
  await importConnection({
    connection_id: 'blob-1',
    provider_config_key: 'blob',
    credentials: {
      type: 'OAUTH2',
      access_token: 'blob-token',
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
    },
    connection_config: { accountName: 'acct' },
  });
  await integration({
    unique_key: 'graph',
    provider: 'one-drive-personal',
    credentials: { client_id: 'app', client_secret: 's' },
    overrides: {
      authorization_url: `${ms.url}/consumers/oauth2/v2.0/authorize`,
      token_url: `${ms.url}/consumers/oauth2/v2.0/token`,
      proxy: { base_url: up.url },
    },
  });
  const session = await h.get('/connect/sessions', undefined).catch(() => null);
  void session;
  const created = await h.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u' } } });
  const { data } = (await created.json()) as { data: { token: string } };
  const page = await browse(`${h.url}/oauth/connect/graph?connect_session_token=${data.token}`);
  expect(page.body).toContain('data-state="connected"');
});

afterAll(async () => {
  await proxy.close();
  await ms.close();
  await up.stop();
  await h.close();
});

async function graphConnectionId(): Promise<string> {
  return (await h.get('/connections?provider_config_key=graph')).connections[0].connection_id as string;
}

describe('credential injection per auth mode', () => {
  it('API key (provider header template + default version header), basic, OAuth2 bearer with provider headers', async () => {
    up.reset((_req, res) => json(res, 200, { ok: true }));
    const pat = await proxy.request(ref('pat', 'pat-1'), { endpoint: '/user', params: { per_page: 5 } });
    expect(pat).toMatchObject({ status: 200, data: { ok: true } });
    expect(up.seen[0]?.headers).toMatchObject({
      authorization: 'Bearer ghp_secret',
      'x-github-api-version': '2022-11-28',
    });
    expect(up.seen[0]?.url).toBe('/user?per_page=5');
    await proxy.request(ref('basic', 'basic-1'), { endpoint: 'things', method: 'POST', data: { a: 1 } });
    expect(up.seen[1]?.headers.authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
    expect(up.seen[1]?.body).toBe('{"a":1}');
    expect(up.seen[1]?.headers['content-type']).toBe('application/json');
    await proxy.request(ref('blob', 'blob-1'), { endpoint: '/?comp=list' });
    expect(up.seen[2]?.url).toBe('/acct/?comp=list');
    expect(up.seen[2]?.headers).toMatchObject({ authorization: 'Bearer blob-token', 'x-ms-version': '2025-05-05' });
  });

  it('never sends credentials to another origin (absolute endpoint, cross-origin redirect)', async () => {
    const other = await new Upstream().start();
    try {
      other.reset((_req, res) => json(res, 200, { other: true }));
      await proxy.request(ref('pat', 'pat-1'), { endpoint: `${other.url}/steal` });
      expect(other.seen[0]?.headers.authorization).toBeUndefined();
      up.reset((_req, res) => res.writeHead(302, { location: `${other.url}/download` }).end());
      const followed = await proxy.request(ref('pat', 'pat-1'), { endpoint: '/content' });
      expect(followed.data).toEqual({ other: true });
      expect(up.seen[0]?.headers.authorization).toBe('Bearer ghp_secret');
      expect(other.seen[1]?.headers.authorization).toBeUndefined();
      // A script's baseUrlOverride to a foreign host gets no credentials; the secret-key API may.
      await proxy.request(ref('pat', 'pat-1'), { baseUrlOverride: other.url, endpoint: '/exfiltrate' });
      expect(other.seen[2]?.headers.authorization).toBeUndefined();
      await proxy.request(
        ref('pat', 'pat-1'),
        { baseUrlOverride: other.url, endpoint: '/regional' },
        { trustBaseUrlOverride: true },
      );
      expect(other.seen[3]?.headers.authorization).toBe('Bearer ghp_secret');
      // …and a provider may declare other hosts of its own (proxy.trusted_origins) that keep them.
      await integration({
        unique_key: 'pat-hosts',
        provider: 'github-pat',
        overrides: { proxy: { base_url: up.url, trusted_origins: [other.url] } },
      });
      await importConnection({
        connection_id: 'pat-2',
        provider_config_key: 'pat-hosts',
        credentials: { type: 'API_KEY', apiKey: 'ghp_other' },
      });
      await proxy.request(ref('pat-hosts', 'pat-2'), { baseUrlOverride: other.url, endpoint: '/uploads' });
      expect(other.seen[4]?.headers.authorization).toBe('Bearer ghp_other');
    } finally {
      await other.stop();
    }
  });

  it("sends a secondary token (SharePoint's) to its declared host only, never the primary one", async () => {
    const sharepoint = await new Upstream().start();
    try {
      sharepoint.reset((_req, res) => json(res, 200, { d: true }));
      up.reset((_req, res) => json(res, 200, { value: [] }));
      await integration({
        unique_key: 'sp',
        provider: 'sharepoint-online',
        credentials: { client_id: 'app', client_secret: 's' },
        overrides: { proxy: { base_url: up.url } },
      });
      const host = new URL(sharepoint.url).host;
      await importConnection({
        connection_id: 'sp-1',
        provider_config_key: 'sp',
        credentials: {
          type: 'OAUTH2',
          access_token: 'graph-token',
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
        },
        connection_config: { sharepointHost: host, sharepointAccessToken: 'sharepoint-token' },
      });
      await proxy.request(ref('sp', 'sp-1'), { endpoint: '/v1.0/me' });
      expect(up.seen[0]?.headers.authorization).toBe('Bearer graph-token');
      await proxy.request(ref('sp', 'sp-1'), { baseUrlOverride: sharepoint.url, endpoint: '/_api/web?$select=Title' });
      expect(sharepoint.seen[0]?.headers.authorization).toBe('Bearer sharepoint-token');
      // Another host of the script's choosing gets neither token.
      const other = await new Upstream().start();
      try {
        other.reset((_req, res) => json(res, 200, {}));
        await proxy.request(ref('sp', 'sp-1'), { baseUrlOverride: other.url, endpoint: '/_api/web' });
        expect(other.seen[0]?.headers.authorization).toBeUndefined();
      } finally {
        await other.stop();
      }
    } finally {
      await sharepoint.stop();
    }
  });
});

describe('errors, refresh and retries', () => {
  it('401 → refresh once → success with the new token', async () => {
    const connectionId = await graphConnectionId();
    const first = await h.auth.getConnection(ref('graph', connectionId));
    const firstToken = first.credentials.type === 'OAUTH2' ? first.credentials.access_token : '';
    up.reset((req, res) => {
      if (req.headers.authorization === `Bearer ${firstToken}`)
        json(res, 401, {
          error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' },
        });
      else json(res, 200, { value: [] });
    });
    const before = ms.tokenRequests.refresh_token ?? 0;
    const response = await proxy.request(ref('graph', connectionId), { endpoint: '/v1.0/me/drive/root/children' });
    expect(response.status).toBe(200);
    expect(up.seen).toHaveLength(2);
    expect((ms.tokenRequests.refresh_token ?? 0) - before).toBe(1);
    expect(ms.verifyAccessToken((up.seen[1]?.headers.authorization ?? '').replace('Bearer ', ''))).not.toBeNull();
  });

  it('non-2xx → axios-shaped error with response.status and data', async () => {
    up.reset((_req, res) =>
      json(res, 404, { error: { code: 'itemNotFound', message: 'The resource could not be found.' } }),
    );
    const error = await proxy.request(ref('pat', 'pat-1'), { endpoint: '/missing' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'WEFT_PROXY_HTTP_ERROR',
      isAxiosError: true,
      response: { status: 404, data: { error: { code: 'itemNotFound' } } },
    });
  });

  it('429 with Retry-After: waits as told (observed server-side), and other calls of the connection wait too', async () => {
    let calls = 0;
    up.reset((_req, res) => {
      calls += 1;
      if (calls === 1) json(res, 429, { error: { code: 'TooManyRequests' } }, { 'retry-after': '1' });
      else json(res, 200, { ok: calls });
    });
    const response = await proxy.request(ref('pat', 'pat-1'), { endpoint: '/limited' });
    expect(response.status).toBe(200);
    const gap = (up.seen[1]?.at ?? 0) - (up.seen[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(3000);
  });

  it('a 503 storm exhausts the retry budget with a clear error listing each attempt', async () => {
    up.reset((_req, res) => json(res, 503, { error: 'busy' }));
    const error = await proxy.request(ref('pat', 'pat-1'), { endpoint: '/storm', retries: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'WEFT_PROXY_RETRIES_EXHAUSTED',
      details: { attempts: [{ status: 503 }, { status: 503 }, { status: 503 }] },
    });
    expect((error as Error).message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/storm failed after 3 attempts: HTTP 503/);
    expect(up.seen).toHaveLength(3);
    up.reset((_req, res) => json(res, 503, {}));
    await proxy.request(ref('pat', 'pat-1'), { endpoint: '/post', method: 'POST', data: {} }).catch(() => null);
    expect(up.seen).toHaveLength(1); // POST is not retried unless asked
  });

  it('writes a request log without secrets', async () => {
    up.reset((_req, res) => json(res, 200, {}));
    await proxy.request(
      ref('pat', 'pat-1'),
      { endpoint: '/logged', params: { api_key: 'leak', q: 'x' } },
      { runId: 'run-42' },
    );
    await log.flush();
    const { rows } = await h.db.pool.query<{ url: string; status: number; attempts: number; run_id: string }>(
      `SELECT url, status, attempts, run_id FROM proxy_requests WHERE run_id = 'run-42'`,
    );
    expect(rows).toEqual([
      {
        url: expect.stringMatching(/\/logged\?api_key=%5Bredacted%5D&q=x$/),
        status: 200,
        attempts: 1,
        run_id: 'run-42',
      },
    ]);
  });
});

describe('pagination', () => {
  it('Graph: @odata.nextLink + value across 3 pages with provider defaults, absolute links followed', async () => {
    const items = Array.from({ length: 25 }, (_, i) => ({ id: `item-${i}` }));
    up.reset((req, res) => {
      const url = new URL(req.url, up.url);
      const top = Number(url.searchParams.get('$top') ?? 10);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const value = items.slice(skip, skip + top);
      const next =
        skip + top < items.length
          ? `${up.url}/v1.0/me/drive/root/children?$top=${top}&$skiptoken=${skip + top}`
          : undefined;
      json(res, 200, { value, ...(next ? { '@odata.nextLink': next } : {}) });
    });
    const connectionId = await graphConnectionId();
    const pages: string[][] = [];
    for await (const page of paginate<{ id: string }>(proxy, ref('graph', connectionId), {
      endpoint: '/v1.0/me/drive/root/children',
      paginate: { limit: 10 },
    })) {
      pages.push(page.map((p) => p.id));
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(items.map((i) => i.id));
    expect(up.seen.map((r) => r.url)).toEqual([
      '/v1.0/me/drive/root/children?%24top=10',
      '/v1.0/me/drive/root/children?$top=10&$skiptoken=10',
      '/v1.0/me/drive/root/children?$top=10&$skiptoken=20',
    ]);
  });

  it('Azure XML: List Containers with NextMarker (single-element pages too) via provider cursor defaults', async () => {
    const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    up.reset((req, res) => {
      const url = new URL(req.url, up.url);
      const marker = url.searchParams.get('marker') ?? '';
      const max = Number(url.searchParams.get('maxresults') ?? 2);
      const start = marker === '' ? 0 : names.indexOf(marker);
      const slice = names.slice(start, start + max);
      const nextMarker = names[start + max] ?? '';
      const body = `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${up.url}/acct/"><MaxResults>${max}</MaxResults><Containers>${slice
        .map((n) => `<Container><Name>${n}</Name><Properties><Etag>"0x1"</Etag></Properties></Container>`)
        .join('')}</Containers><NextMarker>${nextMarker}</NextMarker></EnumerationResults>`;
      res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
    });
    const pages: string[][] = [];
    for await (const page of paginate<{ Name: string }>(proxy, ref('blob', 'blob-1'), {
      endpoint: '/',
      params: { comp: 'list' },
      paginate: { limit: 2, response_path: 'EnumerationResults.Containers.Container' },
    })) {
      pages.push(page.map((c) => c.Name));
    }
    expect(pages).toEqual([['alpha', 'beta'], ['gamma', 'delta'], ['epsilon']]);
  });

  it('offset pagination stops on a short page', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => i);
    up.reset((req, res) => {
      const url = new URL(req.url, up.url);
      const offset = Number(url.searchParams.get('offset'));
      json(res, 200, { data: rows.slice(offset, offset + 3) });
    });
    const pages: number[][] = [];
    for await (const page of paginate<number>(proxy, ref('pat', 'pat-1'), {
      endpoint: '/rows',
      paginate: {
        type: 'offset',
        offset_name_in_request: 'offset',
        limit: 3,
        limit_name_in_request: 'limit',
        response_path: 'data',
      },
    })) {
      pages.push(page);
    }
    expect(pages).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});

describe('streaming', () => {
  it('streams a 1 GB download with flat memory (RSS delta < 64 MB)', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const total = 1024;
    up.reset((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(total * chunk.length),
      });
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += 1;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const response = await proxy.request<Readable>(ref('pat', 'pat-1'), { endpoint: '/big', responseType: 'stream' });
    let bytes = 0;
    for await (const part of response.data) {
      bytes += (part as Buffer).length;
      if ((bytes & 0x3ffffff) < (part as Buffer).length) peak = Math.max(peak, process.memoryUsage().rss);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(bytes).toBe(total * chunk.length);
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    expect(response.headers['content-length']).toBe(String(total * chunk.length));
  });

  it('streams a request body upstream', async () => {
    up.reset((req, res) => json(res, 200, { received: req.body.length }));
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(10_000, 1);
      })(),
    );
    const response = await proxy.request(ref('pat', 'pat-1'), {
      endpoint: '/upload',
      method: 'PUT',
      data: body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(response.data).toEqual({ received: 1_000_000 });
  });

  it('decodes a gzip answer the script asked for (and drops its length and encoding), or passes it on raw when told to', async () => {
    const payload = { value: Array.from({ length: 50 }, (_, i) => ({ id: `item-${i}` })) };
    const zipped = gzipSync(JSON.stringify(payload));
    up.reset((_req, res) =>
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(zipped.length),
          'x-request-id': 'r-1',
        })
        .end(zipped),
    );
    const config = { endpoint: '/zipped', headers: { 'Accept-Encoding': 'gzip' } };
    const decoded = await proxy.request(ref('pat', 'pat-1'), config);
    expect(decoded.data).toEqual(payload);
    expect(decoded.headers['content-encoding']).toBeUndefined();
    expect(decoded.headers['content-length']).toBeUndefined();
    expect(decoded.headers['x-request-id']).toBe('r-1');
    const raw = await proxy.request<Buffer>(ref('pat', 'pat-1'), {
      ...config,
      decompress: false,
      responseType: 'arraybuffer',
    });
    expect(raw.headers).toMatchObject({ 'content-encoding': 'gzip', 'content-length': String(zipped.length) });
    expect(gunzipSync(raw.data).toString()).toBe(JSON.stringify(payload));
  });
});

describe('outbound policy (SSRF)', () => {
  it('refuses loopback, metadata, private and names resolving to loopback unless allow-listed; redirects are checked too', async () => {
    const strict = createProxy({ credentials: h.auth, policy: {} });
    const allowLoopbackOnly = createProxy({ credentials: h.auth, policy: { allowedHosts: ['127.0.0.1'] } });
    try {
      const targets = [
        'http://127.0.0.1:9/x',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.0.0.1/',
        `http://localhost:${new URL(up.url).port}/`,
      ];
      for (const target of targets) {
        const error = await strict
          .request(ref('pat', 'pat-1'), { endpoint: target, retries: 0 })
          .catch((e: unknown) => e);
        expect(error, target).toMatchObject({ code: 'WEFT_PROXY_BLOCKED_ADDRESS' });
      }
      up.reset((_req, res) => json(res, 200, { fine: true }));
      expect((await allowLoopbackOnly.request(ref('pat', 'pat-1'), { endpoint: `${up.url}/ok` })).data).toEqual({
        fine: true,
      });
      up.reset((_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/internal' }).end());
      const redirected = await allowLoopbackOnly
        .request(ref('pat', 'pat-1'), { endpoint: `${up.url}/jump`, retries: 0 })
        .catch((e: unknown) => e);
      expect(redirected).toMatchObject({
        code: 'WEFT_PROXY_BLOCKED_ADDRESS',
        message: expect.stringContaining('10.0.0.1'),
      });
    } finally {
      await strict.close();
      await allowLoopbackOnly.close();
    }
  });
});

describe('templating', () => {
  it('interpolates base URLs from connection_config', () => {
    expect(
      interpolate('https://${connectionConfig.accountName}.blob.core.windows.net', {
        connectionConfig: { accountName: 'a' },
      }),
    ).toBe('https://a.blob.core.windows.net');
  });
});
