import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ConnectionRef } from '@weft/auth';
import { createProxy, type OutboundProxy, ProxyHttpError } from '@weft/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { Upstream } from './upstream.js';

// Scripts' calls (json, text, arraybuffer) read the answer whole from undici's dispatch
// callbacks instead of a stream per response (bench/proxy); these pin what a script sees.
let h: ApiHarness;
let up: Upstream;
let proxy: OutboundProxy;
let ref: ConnectionRef;

beforeAll(async () => {
  h = await startApi();
  up = await new Upstream().start();
  proxy = createProxy({ credentials: h.auth, policy: { allowPrivateNetwork: true }, baseRetryDelayMs: 20 });
  const integration = await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'pat', provider: 'github-pat', overrides: { proxy: { base_url: up.url } } },
  });
  expect(integration.status, await integration.clone().text()).toBe(201);
  const connection = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: 'pat-1', provider_config_key: 'pat', credentials: { type: 'API_KEY', apiKey: 'ghp_x' } },
  });
  expect(connection.status, await connection.clone().text()).toBe(201);
  ref = { environmentId: h.environmentId, providerConfigKey: 'pat', connectionId: 'pat-1' };
});

afterAll(async () => {
  await proxy.close();
  await up.stop();
  await h.close();
});

/** Writes `bytes` in pieces (chunked encoding), so the proxy receives the body in several chunks. */
function inPieces(res: ServerResponse, contentType: string, bytes: Buffer, pieces: number[]): void {
  res.writeHead(200, { 'content-type': contentType });
  let at = 0;
  for (const size of pieces) {
    res.write(bytes.subarray(at, at + size));
    at += size;
  }
  res.end(bytes.subarray(at));
}

describe('answers read whole', () => {
  it('parses JSON that arrives in many chunks, split inside a multi-byte character', async () => {
    const payload = { items: Array.from({ length: 5_000 }, (_, i) => ({ id: i, name: `dokument-ü-€-${i}` })) };
    const bytes = Buffer.from(JSON.stringify(payload));
    const euro = bytes.indexOf('€');
    up.reset((_req, res) => inPieces(res, 'application/json', bytes, [euro + 1, 70_000, 70_000]));
    const response = await proxy.request(ref, { endpoint: '/big' });
    expect(response.status).toBe(200);
    expect(response.data).toEqual(payload);
    expect(response.headers['transfer-encoding']).toBeUndefined(); // hop-by-hop, not passed on
  });

  it('skips a UTF-8 byte order mark before JSON and text, as undici’s body readers do', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    up.reset((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.concat([bom, Buffer.from('{"ok":true}')])),
    );
    expect((await proxy.request(ref, { endpoint: '/bom' })).data).toEqual({ ok: true });
    expect((await proxy.request(ref, { endpoint: '/bom', responseType: 'text' })).data).toBe('{"ok":true}');
  });

  it('gives arraybuffer answers as a Buffer of their own bytes (not a view of a shared slab)', async () => {
    const bytes = Buffer.from(Array.from({ length: 3_000 }, (_, i) => i % 251));
    up.reset((_req, res) => inPieces(res, 'application/octet-stream', bytes, [1_000, 1_000]));
    const response = await proxy.request<Buffer>(ref, { endpoint: '/bytes', responseType: 'arraybuffer' });
    expect(Buffer.isBuffer(response.data)).toBe(true);
    expect(response.data.equals(bytes)).toBe(true);
    expect(response.data.byteOffset).toBe(0);
    expect(response.data.buffer.byteLength).toBe(bytes.length);
  });

  it('answers an empty body as an empty string, and HEAD without a body', async () => {
    up.reset((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'x-total': '3' }).end());
    expect((await proxy.request(ref, { endpoint: '/empty' })).data).toBe('');
    const head = await proxy.request(ref, { endpoint: '/empty', method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, data: '', headers: { 'x-total': '3' } });
  });

  it('puts an error answer’s parsed body into the ProxyHttpError', async () => {
    up.reset((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}'));
    const error = await proxy.request(ref, { endpoint: '/missing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProxyHttpError);
    expect((error as ProxyHttpError).response).toMatchObject({ status: 404, data: { message: 'Not Found' } });
  });

  it('an abort while the provider holds the answer ends the call with the abort reason and drops the request', async () => {
    let held: ServerResponse | undefined;
    const arrived = new Promise<void>((resolve) =>
      up.reset((_req, res) => {
        held = res;
        resolve();
      }),
    );
    const controller = new AbortController();
    const call = proxy.request(ref, { endpoint: '/slow' }, { signal: controller.signal });
    const outcome = call.catch((e: unknown) => e);
    await arrived;
    const closed = once(held as ServerResponse, 'close');
    const reason = new Error('run cancelled');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    await closed; // the connection to the provider was torn down, not left reading
    expect(held?.writableFinished).toBe(false);
  });

  it('a call whose signal is already aborted is refused with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('already cancelled');
    controller.abort(reason);
    await expect(proxy.request(ref, { endpoint: '/never' }, { signal: controller.signal })).rejects.toBe(reason);
  });
});
