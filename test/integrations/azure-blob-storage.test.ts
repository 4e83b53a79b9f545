import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConnectionRef } from '@weft/auth';
import { connectionRowId } from '@weft/db';
import { createProxy, type OutboundProxy } from '@weft/proxy';
import { readRecords } from '@weft/records';
import { compileIntegration, type Runner } from '@weft/runner';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse } from '../auth/browse.js';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import type { RunnerConnection } from '../helpers/api-key-connection.js';
import { createHarnessRunner } from '../helpers/harness-runner.js';

const integrationDir = new URL('../../integrations/azure-blob-storage', import.meta.url).pathname;
const azuriteMain = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');

let h: ApiHarness;
let identity: MicrosoftIdentityFake;
let azurite: ChildProcess;
let azuriteUrl = '';
let certPem = '';
let workDir = '';
let proxy: OutboundProxy;
let runner: Runner;
let ref: ConnectionRef;
let connection: RunnerConnection;

const CONTAINERS: Record<string, number> = { 'big-container': 2500, 'mid-container': 1500, 'small-container': 1000 };

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function runSync(name: string) {
  const result = await runner.runSync({
    environmentId: h.environmentId,
    connection,
    syncName: name,
    mode: 'incremental',
    lastSyncDate: null,
  });
  expect(result.error, JSON.stringify(result.error)).toBeUndefined();
  return result;
}

async function live(
  model: string,
): Promise<Array<Record<string, unknown> & { _nango_metadata: { last_action: string } }>> {
  const out: Array<Record<string, unknown> & { _nango_metadata: { last_action: string } }> = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await readRecords(h.db.pool, {
      connectionRowId: connection.id,
      model,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.records.map((r) => JSON.parse(r)));
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'weft-azurite-'));
  // Node needs the IP in the certificate's SAN to accept https://127.0.0.1 (notes/azurite.md).
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path.join(workDir, 'key.pem'),
      '-out',
      path.join(workDir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  certPem = await readFile(path.join(workDir, 'cert.pem'), 'utf8');
  azurite = spawn(
    process.execPath,
    [
      azuriteMain,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--silent',
      '--skipApiVersionCheck',
      '--cert',
      path.join(workDir, 'cert.pem'),
      '--key',
      path.join(workDir, 'key.pem'),
      '--oauth',
      'basic',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  azuriteUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    azurite.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /successfully listens on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    azurite.on('exit', (code) => reject(new Error(`azurite exited with ${code}: ${out}`)));
  });

  h = await startApi();
  identity = await startMicrosoftIdentityFake({
    clients: { app: { secret: 's3cret', redirectUris: [`${h.url}/oauth/callback`] } },
  });
  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'azure-blob-storage',
      provider: 'azure-blob-storage',
      credentials: { client_id: 'app', client_secret: 's3cret' },
      overrides: {
        authorization_url: `${identity.url}/organizations/oauth2/v2.0/authorize`,
        token_url: `${identity.url}/organizations/oauth2/v2.0/token`,
        proxy: { base_url: `${azuriteUrl}/\${connectionConfig.accountName}` },
      },
    },
  });
  expect(created.status).toBe(201);
  const session = (
    (await (await h.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u' } } })).json()) as Body
  ).data;
  // The bearer token Azurite checks really comes from the (fake) identity platform's OAuth flow.
  const page = await browse(
    `${h.url}/oauth/connect/azure-blob-storage?connect_session_token=${session.token}&connection_config.accountName=devstoreaccount1`,
  );
  expect(page.body).toContain('data-state="connected"');
  const record = (await h.get('/connections?provider_config_key=azure-blob-storage')).connections[0];
  connection = {
    id: connectionRowId(record.id),
    providerConfigKey: 'azure-blob-storage',
    connectionId: record.connection_id,
  };
  ref = { environmentId: h.environmentId, providerConfigKey: 'azure-blob-storage', connectionId: record.connection_id };
  proxy = createProxy({
    credentials: h.auth,
    policy: { allowPrivateNetwork: true },
    tlsCa: certPem,
    baseRetryDelayMs: 50,
  });
  runner = createHarnessRunner(h, { proxy });
  await runner.deploy(h.environmentId, 'azure-blob-storage', await compileIntegration(integrationDir));

  // Seed 5,000 blobs over 3 containers through Weft's own proxy (bearer auth against Azurite).
  for (const container of Object.keys(CONTAINERS)) {
    await proxy.request(ref, { method: 'PUT', endpoint: `/${container}`, params: { restype: 'container' } });
  }
  const blobs = Object.entries(CONTAINERS).flatMap(([container, n]) =>
    Array.from({ length: n }, (_, i) => ({ container, name: `dir-${i % 7}/blob-${String(i).padStart(5, '0')}.json` })),
  );
  await pool(blobs, 32, (b) =>
    proxy.request(ref, {
      method: 'PUT',
      endpoint: `/${b.container}/${b.name}`,
      data: `{"n":"${b.name}"}`,
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/json' },
      retries: 3,
    }),
  );
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  azurite?.kill('SIGTERM');
  await identity?.close();
  await h?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('Azure Blob Storage against Azurite', () => {
  it('Azurite refuses requests without the bearer token (auth is real)', async () => {
    const response = await request(`${azuriteUrl}/devstoreaccount1?comp=list`, {
      dispatcher: new Agent({ connect: { ca: certPem } }),
    });
    await response.body.dump();
    expect(response.statusCode).toBe(403);
  });

  it('syncs 3 containers and 5,000 blobs completely (List Containers / List Blobs with NextMarker, XML)', async () => {
    const containers = await runSync('containers');
    expect(containers.counts.Container).toEqual({ added: 3, updated: 0, deleted: 0 });
    const blobs = await runSync('blobs');
    expect(blobs.counts.Blob).toEqual({ added: 5000, updated: 0, deleted: 0 });
    const stored = await live('Blob');
    expect(stored).toHaveLength(5000);
    expect(new Set(stored.map((b) => b.id)).size).toBe(5000);
    const name = `dir-${2498 % 7}/blob-02498.json`;
    expect(stored.find((b) => b.id === `big-container/${name}`)).toMatchObject({
      container: 'big-container',
      size: `{"n":"${name}"}`.length,
      contentType: 'application/json',
    });
  });

  it('put-blob writes back and the next sync sees it; deleted blobs and containers are tombstoned', async () => {
    const put = await runner.runAction({
      environmentId: h.environmentId,
      connection,
      actionName: 'put-blob',
      input: { container: 'mid-container', name: 'notes/hello.txt', content: 'hello from weft' },
    });
    expect(put.output).toMatchObject({ container: 'mid-container', name: 'notes/hello.txt' });
    const got = await runner.runAction({
      environmentId: h.environmentId,
      connection,
      actionName: 'get-blob',
      input: { container: 'mid-container', name: 'notes/hello.txt' },
    });
    expect(got.output).toMatchObject({ content: 'hello from weft' });
    await proxy.request(ref, { method: 'DELETE', endpoint: '/mid-container/dir-0/blob-00000.json' });
    await proxy.request(ref, { method: 'DELETE', endpoint: '/small-container', params: { restype: 'container' } });
    await proxy.request(ref, { method: 'PUT', endpoint: '/new-container', params: { restype: 'container' } });
    await proxy.request(ref, {
      method: 'PUT',
      endpoint: '/new-container/a.txt',
      data: 'a',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
    });
    expect((await runSync('containers')).counts.Container).toMatchObject({ added: 1, deleted: 1 });
    const blobs = await runSync('blobs');
    expect(blobs.counts.Blob).toEqual({ added: 2, updated: 0, deleted: 1001 }); // hello.txt and a.txt; one blob + the 1,000 of the deleted container
    const stored = await live('Blob');
    expect(stored.find((b) => b.id === 'new-container/a.txt')?._nango_metadata.last_action).toBe('ADDED');
    expect(stored.find((b) => b.id === 'mid-container/notes/hello.txt')).toMatchObject({
      size: 15,
      _nango_metadata: { last_action: 'ADDED' },
    });
    expect(stored.find((b) => b.id === 'mid-container/dir-0/blob-00000.json')?._nango_metadata.last_action).toBe(
      'DELETED',
    );
  });
});
