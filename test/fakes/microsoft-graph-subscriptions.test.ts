import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../scheduler/helpers.js';
import { listenOnLoopback } from './listen-loopback.ts';
import { type MicrosoftGraphFake, startMicrosoftGraphFake } from './microsoft-graph.ts';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from './microsoft-identity.ts';

const CLIENT = { id: 'c0ffee00-1111-4222-8333-444455556666', secret: 's', redirect: 'http://127.0.0.1:9/cb' };

interface Received {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

let identity: MicrosoftIdentityFake;
let graph: MicrosoftGraphFake;
let receiver: { url: string; close(): Promise<void> };
const received: Received[] = [];
/** How the receiver answers a validation request: echo, wrong body, JSON, or a 500. */
let handshakeMode: 'echo' | 'wrong' | 'json' | 'error' = 'echo';
let token = '';

async function signIn(): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${identity.url}/common/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({
    client_id: CLIENT.id,
    redirect_uri: CLIENT.redirect,
    response_type: 'code',
    scope: 'offline_access Files.Read Mail.Read',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    url.searchParams.set(k, v);
  const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '');
  const res = await fetch(`${identity.url}/common/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: CLIENT.redirect,
      code_verifier: verifier,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

function graphCall(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${graph.baseUrl}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const inHours = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString();

beforeAll(async () => {
  identity = await startMicrosoftIdentityFake({
    clients: { [CLIENT.id]: { secret: CLIENT.secret, redirectUris: [CLIENT.redirect] } },
  });
  graph = await startMicrosoftGraphFake({ identity, seed: { seed: 3, files: 10, messages: 5, events: 3 } });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      received.push({ path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'], body });
      const validation = url.searchParams.get('validationToken');
      if (validation !== null) {
        if (handshakeMode === 'error') res.writeHead(500).end();
        else if (handshakeMode === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end(handshakeMode === 'wrong' ? 'nope' : validation);
        return;
      }
      res.writeHead(202).end();
    });
  });
  receiver = await listenOnLoopback(server);
  token = await signIn();
});

afterAll(async () => {
  await graph?.close();
  await identity?.close();
  await receiver?.close();
});

describe('Graph fake: change notification subscriptions', () => {
  it('refuses a resource it cannot watch, a wrong changeType and an expiration past the maximum lifetime', async () => {
    const base = { notificationUrl: `${receiver.url}/n`, clientState: 'c', expirationDateTime: inHours(1) };
    const unknown = await graphCall('POST', '/subscriptions', {
      ...base,
      resource: 'me/teapots',
      changeType: 'updated',
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('InvalidRequest');
    const created = await graphCall('POST', '/subscriptions', {
      ...base,
      resource: 'me/drive/root',
      changeType: 'created',
    });
    expect(created.status).toBe(400);
    // driveItem: at most 42,300 minutes; message: 10,080.
    const tooLong = await graphCall('POST', '/subscriptions', {
      ...base,
      resource: 'me/messages',
      changeType: 'created',
      expirationDateTime: inHours(24 * 7 + 1),
    });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).toContain('10080 minutes');
    expect(graph.subscriptions.handshakes).toHaveLength(0);
  });

  it('validates the notification URL: a wrong echo, a JSON answer or an error refuses the subscription', async () => {
    for (const mode of ['wrong', 'json', 'error'] as const) {
      handshakeMode = mode;
      const res = await graphCall('POST', '/subscriptions', {
        resource: 'me/drive/root',
        changeType: 'updated',
        notificationUrl: `${receiver.url}/n`,
        expirationDateTime: inHours(24),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/validation request failed/);
    }
    handshakeMode = 'echo';
    expect(graph.subscriptions.list()).toHaveLength(0);
  });

  it('creates a drive subscription after both handshakes; a change POSTs a "something changed" notification', async () => {
    const res = await graphCall('POST', '/subscriptions', {
      resource: 'me/drive/root',
      changeType: 'updated',
      notificationUrl: `${receiver.url}/n`,
      lifecycleNotificationUrl: `${receiver.url}/l`,
      clientState: 'secret-state',
      expirationDateTime: inHours(24 * 29),
    });
    expect(res.status).toBe(201);
    const sub = (await res.json()) as Record<string, string>;
    expect(sub).toMatchObject({ resource: 'me/drive/root', changeType: 'updated', clientState: 'secret-state' });
    const handshakes = received.filter((r) => r.query.has('validationToken'));
    expect(handshakes.map((h) => h.path).slice(-2)).toEqual(['/n', '/l']);
    expect(handshakes.at(-1)?.contentType).toMatch(/^text\/plain/);

    graph.addFile(graph.rootId, { name: 'new.txt', content: 'x' });
    await graph.subscriptions.settled();
    const note = JSON.parse(received.at(-1)?.body ?? '{}') as { value: Array<Record<string, unknown>> };
    expect(note.value).toHaveLength(1);
    expect(note.value[0]).toMatchObject({
      subscriptionId: sub.id,
      clientState: 'secret-state',
      changeType: 'updated',
      resource: 'me/drive/root',
      tenantId: identity.tenantId,
    });
    expect(note.value[0]?.resourceData).toBeUndefined();

    // Renewal, listing, deletion.
    const renewed = await graphCall('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: inHours(48) });
    expect(renewed.status).toBe(200);
    expect(
      ((await graphCall('GET', '/subscriptions').then((r) => r.json())) as { value: unknown[] }).value,
    ).toHaveLength(1);
    const tooLong = await graphCall('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: inHours(24 * 30) });
    expect(tooLong.status).toBe(400);
    expect((await graphCall('DELETE', `/subscriptions/${sub.id}`)).status).toBe(204);
    expect((await graphCall('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: inHours(1) })).status).toBe(404);
  });

  it('messages: notifications name the item (immutable ids when asked), lost and duplicated on demand, lifecycle events', async () => {
    const res = await graphCall(
      'POST',
      '/subscriptions',
      {
        resource: 'me/messages',
        changeType: 'created,updated,deleted',
        notificationUrl: `${receiver.url}/m`,
        lifecycleNotificationUrl: `${receiver.url}/l`,
        clientState: 'mail-state',
        expirationDateTime: inHours(24),
      },
      { prefer: 'IdType="ImmutableId"' },
    );
    expect(res.status).toBe(201);
    const sub = (await res.json()) as Record<string, string>;
    const seen = () =>
      received
        .filter((r) => r.path === '/m' && !r.query.has('validationToken'))
        .map((r) => (JSON.parse(r.body) as { value: Array<Record<string, unknown>> }).value[0]);

    const message = graph.addMessage({ subject: 'hello' });
    await graph.subscriptions.settled();
    expect(seen().at(-1)).toMatchObject({
      changeType: 'created',
      clientState: 'mail-state',
      resourceData: { '@odata.type': '#Microsoft.Graph.Message', id: message.id },
    });

    graph.subscriptions.loseNext(1);
    graph.updateMessage(String(message.id), { isRead: true });
    graph.subscriptions.duplicateNext(1);
    graph.deleteMessage(String(message.id));
    await graph.subscriptions.settled();
    expect(seen().map((n) => n?.changeType)).toEqual(['created', 'deleted', 'deleted']);

    graph.subscriptions.lifecycle(String(sub.id), 'missed');
    graph.subscriptions.lifecycle(String(sub.id), 'subscriptionRemoved');
    await graph.subscriptions.settled();
    const lifecycle = received
      .filter((r) => r.path === '/l' && !r.query.has('validationToken'))
      .map((r) => (JSON.parse(r.body) as { value: Array<Record<string, unknown>> }).value[0]);
    expect(lifecycle.map((n) => n?.lifecycleEvent)).toEqual(['missed', 'subscriptionRemoved']);
    expect(lifecycle[0]).toMatchObject({ subscriptionId: sub.id, clientState: 'mail-state' });
    await eventually(async () => graph.subscriptions.list().length === 0, 5_000, 'the removed subscription gone');
  });
});
