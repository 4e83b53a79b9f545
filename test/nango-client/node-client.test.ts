import { Nango } from '@nangohq/node';
import { compileIntegration } from '@weft/runner';
import type { ContractViolation } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from '../proxy/upstream.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from '../scheduler/helpers.js';
import {
  ApiKeyCredentials,
  ApiProvider,
  ApiPublicConnection,
  ApiPublicConnectionFull,
  ApiPublicIntegration,
  ConnectSession,
  EnvironmentVariables,
  ListRecords,
  MetadataChangeResponse,
  OAuth2Credentials,
  OpenAIFunction,
  StandardNangoConfig,
  SyncStatus,
  shape,
} from './nango-shapes.js';

/**
 * Nango's official Node client (`@nangohq/node`, pinned) against a real Weft: every public method
 * whose feature Weft has, each result checked against the shape the client's types declare.
 * Methods whose feature Weft lacks answer a documented 501 (last block).
 */

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let demo: DemoApi;
/** Token endpoint, verification endpoint and an echo API for the proxy. */
let up: Upstream;
let nango: Nango;
let tokens = 0;
/** Answers that their route contract does not describe (checked last). */
const violations: ContractViolation[] = [];

/** The HTTP status and error code of a rejected client call. */
async function failure(call: Promise<unknown>): Promise<{ status: number | undefined; code: string; message: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHttpError(error)) throw new Error(`expected an HTTP error, got ${String(error)}`);
  const body = error.response?.data as { error?: { code?: string; message?: string } } | undefined;
  return { status: error.response?.status, code: body?.error?.code ?? '', message: body?.error?.message ?? '' };
}

/** The client's axios (its own copy) rejects with AxiosError: recognise it by its flag. */
interface HttpError {
  isAxiosError: true;
  response?: { status: number; data: unknown };
}
function isHttpError(error: unknown): error is HttpError {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

const noActiveRun = () =>
  eventually(
    async () => (await runsOf(h.db.pool, 'items')).every((r) => r.status !== 'running' && r.status !== 'queued'),
    20_000,
    'no active run',
  );

beforeAll(async () => {
  h = await startApi({
    scheduler: { tickMs: 50, retryDelayMs: 100, concurrency: 2 },
    onContractViolation: (violation) => violations.push(violation),
  });
  demo = await startDemoApi(30);
  up = await new Upstream().start();
  up.reset((req, res) => {
    if (req.url === '/token') {
      tokens++;
      return json(res, 200, { access_token: `access-${tokens}`, refresh_token: `refresh-${tokens}`, expires_in: 3600 });
    }
    if (req.url === '/user') return json(res, 200, { login: 'someone' });
    return json(res, 200, { method: req.method, url: req.url, body: req.body, headers: req.headers });
  });
  nango = new Nango({ apiKey: h.secretKey, host: h.url });

  const create = async (body: Record<string, unknown>) =>
    expect((await h.api('/integrations', { method: 'POST', json: body })).status).toBe(201);
  await create({ unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: demo.url } } });
  await create({ unique_key: 'pat', provider: 'github-pat', overrides: { proxy: { base_url: up.url } } });
  await create({
    unique_key: 'oauth',
    provider: 'github',
    credentials: { client_id: 'app-id', client_secret: 'app-secret', scopes: 'repo,user' },
    overrides: { token_url: `${up.url}/token`, proxy: { base_url: up.url } },
  });
  const imported = async (body: Record<string, unknown>) =>
    expect((await h.api('/connection', { method: 'POST', json: body })).status).toBe(201);
  await imported({ connection_id: 'c1', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k1' } });
  await imported({ connection_id: 'c2', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k2' } });
  await imported({
    connection_id: 'o1',
    provider_config_key: 'oauth',
    credentials: {
      type: 'OAUTH2',
      access_token: 'access-0',
      refresh_token: 'refresh-0',
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      raw: { access_token: 'access-0', token_type: 'bearer' },
    },
  });
  // Two end users connect through connect sessions (API key, verified against the upstream).
  for (const [id, email, org] of [
    ['user-1', 'one@example.com', 'org-a'],
    ['user-2', 'two@example.com', 'org-b'],
  ] as const) {
    const session = await nango.createConnectSession({
      end_user: { id, email, display_name: `User ${id}`, tags: { plan: id === 'user-1' ? 'pro' : 'free' } },
      organization: { id: org, display_name: `Org ${org}` },
      allowed_integrations: ['pat'],
    });
    const connected = await fetch(`${h.url}/connect/credentials/pat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ connect_session_token: session.data.token, api_key: `key-${id}` }),
    });
    expect(connected.status).toBe(201);
  }
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`, { skipTypeCheck: true }));
  // autoStart: the deploy schedules `items` for c1 and c2 (first run within the hour): run them now.
  await h.scheduler?.trigger({ environmentId: h.environmentId, providerConfigKey: 'demo' });
  await eventually(
    async () => (await runsOf(h.db.pool, 'items')).filter((r) => r.status === 'success').length >= 2,
    30_000,
    'first sync runs',
  );
}, 90_000);

afterAll(async () => {
  await up?.stop();
  await demo?.stop();
  await h?.close();
});

describe('connect sessions', () => {
  it('createConnectSession and createReconnectSession answer token, connect_link, expires_at', async () => {
    const session = shape(
      ConnectSession,
      await nango.createConnectSession({ end_user: { id: 'user-3' }, tags: { a: 'b' } }),
    );
    expect(session.data.connect_link).toBe(`${h.url}/connect?session=${encodeURIComponent(session.data.token)}`);
    expect(Date.parse(session.data.expires_at)).toBeGreaterThan(Date.now());
    const pat = (await nango.listConnections({ userId: 'user-1' })).connections[0];
    const reconnect = shape(
      ConnectSession,
      await nango.createReconnectSession({ connection_id: pat?.connection_id ?? '', integration_id: 'pat' }),
    );
    const page = await fetch(reconnect.data.connect_link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('pat');
  });

  it('bad input on a session is a stable 400', async () => {
    const bad = await failure(nango.createConnectSession({ end_user: { id: '' } }));
    expect(bad).toMatchObject({ status: 400, code: 'WEFT_API_INVALID_REQUEST' });
    const unknown = await failure(nango.createReconnectSession({ connection_id: 'nope', integration_id: 'pat' }));
    expect(unknown).toMatchObject({ status: 404, code: 'WEFT_AUTH_CONNECTION_NOT_FOUND' });
  });
});

describe('integrations and providers', () => {
  it('listIntegrations and getIntegration (with include) have the ApiPublicIntegration shape', async () => {
    const { configs } = await nango.listIntegrations();
    for (const integration of configs) shape(ApiPublicIntegration, integration);
    expect(configs.map((c) => c.unique_key).sort()).toEqual(['demo', 'oauth', 'pat']);
    const plain = shape(ApiPublicIntegration, (await nango.getIntegration({ uniqueKey: 'oauth' })).data);
    expect(plain.credentials).toMatchObject({
      type: 'OAUTH2',
      client_id: 'app-id',
      client_secret: null,
      scopes: 'repo,user',
    });
    const full = shape(
      ApiPublicIntegration,
      (await nango.getIntegration({ uniqueKey: 'oauth' }, { include: ['webhook', 'credentials'] })).data,
    );
    expect(full.credentials?.client_secret).toBe('app-secret');
    expect(full.logo).toMatch(/^https:\/\/.+\.svg$/);
  });

  it('createIntegration, updateIntegration, deleteIntegration', async () => {
    const created = shape(
      ApiPublicIntegration,
      (
        await nango.createIntegration({
          provider: 'github',
          unique_key: 'gh-new',
          display_name: 'GitHub new',
          credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: 'cs', scopes: 'repo' },
          forward_webhooks: false,
        })
      ).data,
    );
    expect(created).toMatchObject({ unique_key: 'gh-new', provider: 'github', display_name: 'GitHub new' });
    const updated = await nango.updateIntegration({ uniqueKey: 'gh-new' }, { display_name: 'Renamed' });
    expect(shape(ApiPublicIntegration, updated.data).display_name).toBe('Renamed');
    const deleted = await nango.deleteIntegration('gh-new');
    expect(deleted.status).toBe(200);
    expect(await failure(nango.getIntegration({ uniqueKey: 'gh-new' }))).toMatchObject({
      status: 404,
      code: 'WEFT_AUTH_INTEGRATION_NOT_FOUND',
    });
    // Provider webhooks are forwarded when the integration asks (README "Real-time webhooks").
    const forwarding = await nango.createIntegration({
      provider: 'github',
      unique_key: 'fw',
      credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: 'cs', scopes: 'repo' },
      forward_webhooks: true,
    });
    expect(shape(ApiPublicIntegration, forwarding.data).forward_webhooks).toBe(true);
    await nango.deleteIntegration('fw');
  });

  it('listProviders (with search) and getProvider answer the catalogue entries', async () => {
    const all = await nango.listProviders({});
    expect(all.data.length).toBeGreaterThan(5);
    for (const provider of all.data) shape(ApiProvider, provider);
    const found = await nango.listProviders({ search: 'github' });
    expect(found.data.map((p) => p.name)).toContain('github-pat');
    expect(found.data.every((p) => `${p.name} ${p.display_name}`.toLowerCase().includes('github'))).toBe(true);
    const one = shape(ApiProvider, (await nango.getProvider({ provider: 'github' })).data);
    expect(one).toMatchObject({ name: 'github', auth_mode: 'OAUTH2' });
  });
});

describe('connections', () => {
  it('listConnections: every filter the client sends', async () => {
    const all = await nango.listConnections();
    for (const c of all.connections) shape(ApiPublicConnection, c);
    expect(all.connections).toHaveLength(5);
    const ids = (list: { connections: Array<{ connection_id: string }> }) =>
      list.connections.map((c) => c.connection_id).sort();
    expect(ids(await nango.listConnections('c1'))).toEqual(['c1']);
    expect(ids(await nango.listConnections({ connectionId: 'o1' }))).toEqual(['o1']);
    expect(ids(await nango.listConnections({ integrationId: 'demo' }))).toEqual(['c1', 'c2']);
    expect(ids(await nango.listConnections({ integrationId: ['demo', 'oauth'] }))).toEqual(['c1', 'c2', 'o1']);
    const user1 = await nango.listConnections({ userId: 'user-1' });
    expect(user1.connections).toHaveLength(1);
    expect(user1.connections[0]).toMatchObject({
      provider: 'github-pat',
      provider_config_key: 'pat',
      end_user: { id: 'user-1', email: 'one@example.com', display_name: 'User user-1', tags: { plan: 'pro' } },
    });
    expect((await nango.listConnections(undefined, undefined, { endUserId: 'user-2' })).connections).toHaveLength(1);
    expect(
      (await nango.listConnections(undefined, undefined, { endUserOrganizationId: 'org-b' })).connections.map(
        (c) => c.end_user?.id,
      ),
    ).toEqual(['user-2']);
    expect((await nango.listConnections({ tags: { email: 'two@example.com' } })).connections).toHaveLength(1);
    expect((await nango.listConnections({ tags: { displayName: 'User user-1' } })).connections).toHaveLength(1);
    expect((await nango.listConnections({ tags: { Plan: 'free' } })).connections).toHaveLength(1);
    const searched = ids(await nango.listConnections(undefined, 'C2'));
    expect(searched).toContain('c2');
    expect(searched.every((id) => id.toLowerCase().includes('c2'))).toBe(true);
    const bySearch = await nango.listConnections(undefined, 'TWO@example');
    expect(bySearch.connections.map((c) => c.end_user?.id)).toEqual(['user-2']);
    expect((await nango.listConnections({ limit: 2 })).connections).toHaveLength(2);
    const waited = await nango.waitForConnection('pat', 'user-2');
    expect(waited.end_user?.id).toBe('user-2');
  });

  it('getConnection: full shape, refresh token only when asked, forceRefresh obtains a new token', async () => {
    const plain = shape(ApiPublicConnectionFull, await nango.getConnection('oauth', 'o1'));
    const credentials = shape(OAuth2Credentials, plain.credentials);
    expect(credentials.access_token).toBe('access-0');
    expect(credentials.refresh_token).toBeUndefined();
    expect(plain).toMatchObject({ provider: 'github', provider_config_key: 'oauth', connection_id: 'o1' });
    const withRefresh = await nango.getConnection('oauth', 'o1', false, true);
    expect(shape(OAuth2Credentials, withRefresh.credentials).refresh_token).toBe('refresh-0');
    const before = tokens;
    const refreshed = await nango.getConnection('oauth', 'o1', true, true);
    expect(tokens).toBe(before + 1);
    expect(shape(OAuth2Credentials, refreshed.credentials)).toMatchObject({
      access_token: `access-${tokens}`,
      refresh_token: `refresh-${tokens}`,
    });
    expect(refreshed.last_fetched_at).not.toBeNull();
  });

  it('getToken and getRawTokenResponse', async () => {
    expect(await nango.getToken('oauth', 'o1')).toBe(`access-${tokens}`);
    const before = tokens;
    expect(await nango.getToken('oauth', 'o1', true)).toBe(`access-${before + 1}`);
    expect(shape(ApiKeyCredentials, await nango.getToken('demo', 'c1'))).toEqual({ type: 'API_KEY', apiKey: 'k1' });
    expect(await nango.getRawTokenResponse('oauth', 'o1')).toMatchObject({ access_token: `access-${tokens}` });
  });

  it('metadata: set, update (merge) and get, for one and several connections', async () => {
    const set = await nango.setMetadata('demo', ['c1', 'c2'], { folder: 'a', keep: true });
    expect(shape(MetadataChangeResponse, set.data)).toEqual({
      metadata: { folder: 'a', keep: true },
      provider_config_key: 'demo',
      connection_id: ['c1', 'c2'],
    });
    const updated = await nango.updateMetadata('demo', 'c2', { folder: 'b' });
    expect(shape(MetadataChangeResponse, updated.data).connection_id).toBe('c2');
    expect(await nango.getMetadata('demo', 'c1')).toEqual({ folder: 'a', keep: true });
    expect(await nango.getMetadata('demo', 'c2')).toEqual({ folder: 'b', keep: true });
    await nango.setMetadata('demo', 'c2', { only: 1 });
    expect(await nango.getMetadata('demo', 'c2')).toEqual({ only: 1 });
    const unknown = await failure(nango.setMetadata('demo', 'nope', { a: 1 }));
    expect(unknown.status).toBe(404);
  });

  it('unknown connections and missing parameters are stable errors on the plural routes', async () => {
    expect(await failure(nango.getConnection('demo', 'nope'))).toMatchObject({
      status: 404,
      code: 'WEFT_AUTH_CONNECTION_NOT_FOUND',
    });
    const missing = await h.api('/connections/c1');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('provider_config_key');
    const badLimit = await h.api('/connections?limit=many');
    expect(badLimit.status).toBe(400);
  });
});

describe('records', () => {
  it('listRecords pages with the cursor and honours filter, modifiedAfter, ids, limit and variant', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { records: Array<{ id: string | number }>; next_cursor: string | null } = shape(
        ListRecords,
        await nango.listRecords({ providerConfigKey: 'demo', connectionId: 'c1', model: 'Item', limit: 7, cursor }),
      );
      expect(page.records.length).toBeLessThanOrEqual(7);
      seen.push(...page.records.map((r) => String(r.id)));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);

    const added = await nango.listRecords({
      providerConfigKey: 'demo',
      connectionId: 'c1',
      model: 'Item',
      filter: 'added',
    });
    expect(added.records).toHaveLength(30);
    expect(added.records.every((r) => r._nango_metadata.last_action === 'ADDED')).toBe(true);
    const none = await nango.listRecords({
      providerConfigKey: 'demo',
      connectionId: 'c1',
      model: 'Item',
      filter: 'DELETED,UPDATED',
    });
    expect(none.records).toEqual([]);
    const later = await nango.listRecords({
      providerConfigKey: 'demo',
      connectionId: 'c1',
      model: 'Item',
      modifiedAfter: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(later.records).toEqual([]);
    const some = await nango.listRecords({
      providerConfigKey: 'demo',
      connectionId: 'c1',
      model: 'Item',
      ids: ['item-3', 'item-5'],
      variant: 'base',
    });
    expect(some.records.map((r) => r.id).sort()).toEqual(['item-3', 'item-5']);
    expect(some.records[0]).toMatchObject({ name: expect.any(String), size: expect.any(Number) });
  });

  it('bad record queries are stable errors; another variant is a documented 501', async () => {
    const bad = await failure(
      nango.listRecords({ providerConfigKey: 'demo', connectionId: 'c1', model: 'Item', modifiedAfter: 'yesterday' }),
    );
    expect(bad).toMatchObject({ status: 400, code: 'WEFT_API_INVALID_REQUEST' });
    const variant = await failure(
      nango.listRecords({ providerConfigKey: 'demo', connectionId: 'c1', model: 'Item', variant: 'eu' }),
    );
    expect(variant).toMatchObject({ status: 501, code: 'WEFT_NOT_SUPPORTED' });
    expect(variant.message).toContain('variant');
    const unknown = await failure(
      nango.listRecords({ providerConfigKey: 'demo', connectionId: 'nope', model: 'Item' }),
    );
    expect(unknown.status).toBe(404);
  });

  it('pruneRecords empties payloads up to a cursor', async () => {
    const first = await nango.listRecords({ providerConfigKey: 'demo', connectionId: 'c2', model: 'Item', limit: 3 });
    const pruned = await nango.pruneRecords({
      providerConfigKey: 'demo',
      connectionId: 'c2',
      model: 'Item',
      untilCursor: first.next_cursor ?? '',
    });
    expect(pruned).toEqual({ count: 3, has_more: false });
  });
});

describe('syncs', () => {
  it('syncStatus has the declared shape for names, objects and *', async () => {
    await noActiveRun();
    const byName = await nango.syncStatus('demo', ['items'], 'c1');
    expect(byName.syncs).toHaveLength(1);
    const status = shape(SyncStatus, byName.syncs[0]);
    expect(status).toMatchObject({
      name: 'items',
      status: 'SUCCESS',
      latestExecutionStatus: 'SUCCESS',
      type: 'INCREMENTAL',
      frequency: 'every hour',
      latestResult: { Item: { added: expect.any(Number), updated: expect.any(Number), deleted: expect.any(Number) } },
      checkpoint: null,
    });
    expect(status.recordCount).toEqual({ Item: 30 });
    const all = await nango.syncStatus('demo', '*');
    expect(all.syncs.map((s) => shape(SyncStatus, s).connection_id).sort()).toEqual(['c1', 'c2']);
    const objects = await nango.syncStatus('demo', [{ name: 'items', variant: 'base' }], 'c2');
    expect(objects.syncs).toHaveLength(1);
    const other = await failure(nango.syncStatus('demo', [{ name: 'items', variant: 'eu' }]));
    expect(other).toMatchObject({ status: 501, code: 'WEFT_NOT_SUPPORTED' });
  });

  it('triggerSync: names, objects, opts (reset, emptyCache) and the legacy sync modes run what they say', async () => {
    const lastMode = async () => {
      await noActiveRun();
      const { rows } = await h.db.pool.query<{ mode: string; trigger: string }>(
        `SELECT r.mode, r.trigger FROM sync_runs r JOIN connections c ON c.id = r.connection_id
         WHERE c.connection_id = 'c1' ORDER BY r.created_at DESC LIMIT 1`,
      );
      return rows[0]?.mode;
    };
    const cases: Array<[() => Promise<void>, string]> = [
      [() => nango.triggerSync('demo', ['items'], 'c1'), 'incremental'],
      [() => nango.triggerSync('demo', [{ name: 'items', variant: 'base' }], 'c1', { reset: true }), 'full'],
      [() => nango.triggerSync('demo', ['items'], 'c1', { reset: true, emptyCache: true }), 'reset'],
      [() => nango.triggerSync('demo', ['items'], 'c1', 'full_refresh'), 'full'],
      [() => nango.triggerSync('demo', ['items'], 'c1', 'full_refresh_and_clear_cache'), 'reset'],
      [() => nango.triggerSync('demo', ['items'], 'c1', true), 'full'],
      [() => nango.triggerSync('demo', ['items'], 'c1', false), 'incremental'],
    ];
    for (const [trigger, mode] of cases) {
      await noActiveRun();
      const before = (await runsOf(h.db.pool, 'items')).length;
      await trigger();
      await eventually(async () => (await runsOf(h.db.pool, 'items')).length > before, 10_000, 'a new run');
      expect(await lastMode()).toBe(mode);
    }
    const records = await nango.listRecords({ providerConfigKey: 'demo', connectionId: 'c1', model: 'Item' });
    expect(records.records.filter((r) => r._nango_metadata.deleted_at === null)).toHaveLength(30);
    // Every connection of the integration when none is named.
    await noActiveRun();
    const before = (await runsOf(h.db.pool, 'items')).length;
    await nango.triggerSync('demo');
    await eventually(async () => (await runsOf(h.db.pool, 'items')).length >= before + 2, 10_000, 'two new runs');
  });

  it('pauseSync, startSync and updateSyncConnectionFrequency', async () => {
    await nango.pauseSync('demo', ['items'], 'c2');
    expect(shape(SyncStatus, (await nango.syncStatus('demo', ['items'], 'c2')).syncs[0])).toMatchObject({
      status: 'PAUSED',
      nextScheduledSyncAt: null,
    });
    await nango.startSync('demo', ['items'], 'c2');
    expect((await nango.syncStatus('demo', ['items'], 'c2')).syncs[0]?.status).not.toBe('PAUSED');
    expect(await nango.updateSyncConnectionFrequency('demo', 'items', 'c2', 'every 2 hours')).toMatchObject({
      frequency: 'every 2 hours',
    });
    expect((await nango.syncStatus('demo', ['items'], 'c2')).syncs[0]?.frequency).toBe('every 2 hours');
    expect(
      await nango.updateSyncConnectionFrequency('demo', { name: 'items', variant: 'base' }, 'c2', null),
    ).toMatchObject({
      frequency: 'every hour',
    });
    const bad = await failure(nango.updateSyncConnectionFrequency('demo', 'items', 'c2', 'sometimes'));
    expect(bad.status).toBe(400);
  });
});

describe('scripts config and actions', () => {
  it('getScriptsConfig in Nango and OpenAI formats', async () => {
    const config = (await nango.getScriptsConfig()) as unknown[];
    expect(config).toHaveLength(1);
    const demoConfig = shape(StandardNangoConfig, config[0]);
    expect(demoConfig.providerConfigKey).toBe('demo');
    expect(demoConfig.syncs.map((s) => s.name)).toEqual(['items']);
    expect(demoConfig.syncs[0]).toMatchObject({
      type: 'sync',
      runs: 'every hour',
      auto_start: true,
      returns: ['Item'],
    });
    expect(demoConfig.actions.map((s) => s.name)).toEqual(['get-item']);
    const openai = (await nango.getScriptsConfig('openai')) as { data: unknown[] };
    expect(openai.data.map((f) => shape(OpenAIFunction, f).name)).toEqual(['get-item']);
    expect(shape(OpenAIFunction, openai.data[0]).parameters.properties).toHaveProperty('id');
  });

  it('triggerAction, triggerActionAsync and getAsyncActionResult', async () => {
    expect(await nango.triggerAction('demo', 'c1', 'get-item', { id: 'item-2' })).toEqual({
      id: 'item-2',
      name: 'Item 2',
      size: 20,
    });
    const queued = await nango.triggerActionAsync('demo', 'c1', 'get-item', { id: 'item-4' });
    expect(queued).toEqual({ id: expect.any(String), statusUrl: `/action/${queued.id}` });
    const result = await eventually(
      async () =>
        nango.getAsyncActionResult(queued).catch((error: unknown) => {
          const data = isHttpError(error) ? (error.response?.data as { error?: { code?: string } }) : undefined;
          if (data?.error?.code === 'WEFT_API_ACTION_PENDING') return undefined;
          throw error;
        }),
      20_000,
      'the async action result',
    );
    expect(result).toEqual({ id: 'item-4', name: 'Item 4', size: 40 });
    expect(await nango.getAsyncActionResult({ id: queued.id })).toEqual(result);
    const failed = await nango.triggerActionAsync('demo', 'c1', 'get-item', { id: 'item-999' });
    const error = await eventually(
      async () => {
        const f = await failure(nango.getAsyncActionResult(failed));
        return f.code === 'WEFT_API_ACTION_PENDING' ? undefined : f;
      },
      20_000,
      'the failed action',
    );
    expect(error).toMatchObject({ code: 'WEFT_RUNNER_ACTION_FAILED' });
    const bad = await failure(nango.triggerAction('demo', 'c1', 'get-item', { id: '' }));
    expect(bad).toMatchObject({ status: 400, code: 'WEFT_RUNNER_INVALID_INPUT' });
  });
});

describe('proxy', () => {
  it('get/post/put/patch/delete, with and without baseUrlOverride, retries, decompress and responseType', async () => {
    const base = { providerConfigKey: 'pat', connectionId: 'c-none' };
    const patConnection = (await nango.listConnections({ userId: 'user-1' })).connections[0]?.connection_id ?? '';
    Object.assign(base, { connectionId: patConnection });
    const got = await nango.get<{ method: string; url: string; headers: Record<string, string> }>({
      ...base,
      endpoint: '/things',
      params: { page: '2' },
      headers: { 'X-Custom': 'yes' },
      retries: 2,
      decompress: true,
    });
    expect(got.status).toBe(200);
    expect(got.data).toMatchObject({ method: 'GET', url: '/things?page=2' });
    expect(got.data.headers).toMatchObject({ authorization: 'Bearer key-user-1', 'x-custom': 'yes' });
    for (const method of ['post', 'put', 'patch'] as const) {
      const response = await nango[method]<{ method: string; body: string }>({
        ...base,
        endpoint: 'things/1',
        data: { name: method },
      });
      expect(response.data).toMatchObject({ method: method.toUpperCase(), body: JSON.stringify({ name: method }) });
    }
    const deleted = await nango.delete<{ method: string }>({ ...base, endpoint: '/things/1' });
    expect(deleted.data.method).toBe('DELETE');
    const overridden = await nango.proxy<{ url: string }>({
      ...base,
      method: 'GET',
      endpoint: '/elsewhere',
      baseUrlOverride: `${up.url}/v2`,
    });
    expect(overridden.data.url).toBe('/v2/elsewhere');
    const buffer = await nango.get<ArrayBuffer>({ ...base, endpoint: '/raw', responseType: 'arraybuffer' });
    expect(JSON.parse(Buffer.from(buffer.data).toString('utf8'))).toMatchObject({ url: '/raw' });
  });

  it("a provider error comes back with the provider's status and body", async () => {
    up.reset((req, res) => {
      if (req.url === '/user') return json(res, 200, {});
      json(res, 422, { message: 'Validation Failed' });
    });
    const patConnection = (await nango.listConnections({ userId: 'user-2' })).connections[0]?.connection_id ?? '';
    const error: unknown = await nango
      .get({ providerConfigKey: 'pat', connectionId: patConnection, endpoint: '/x' })
      .catch((e: unknown) => e);
    expect(isHttpError(error)).toBe(true);
    expect((error as HttpError).response?.status).toBe(422);
    expect((error as HttpError).response?.data).toEqual({ message: 'Validation Failed' });
  });
});

describe('deleteConnection', () => {
  it('deletes with the JSON content type and no body the client sends', async () => {
    await h.api('/connection', {
      method: 'POST',
      json: { connection_id: 'doomed', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'x' } },
    });
    const response = await nango.deleteConnection('demo', 'doomed');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ success: true });
    expect((await failure(nango.getConnection('demo', 'doomed'))).status).toBe(404);
    expect((await failure(nango.deleteConnection('demo', 'doomed'))).code).toBe('WEFT_AUTH_CONNECTION_NOT_FOUND');
  });
});

describe('getEnvironmentVariables', () => {
  it('returns the variables set with PUT /environment-variables as { name, value }[]', async () => {
    expect(shape(EnvironmentVariables, await nango.getEnvironmentVariables())).toEqual([]);
    const variables = [
      { name: 'API_REGION', value: 'eu' },
      { name: 'FEATURE_FLAGS', value: 'a,b' },
    ];
    const put = await h.api('/environment-variables', { method: 'PUT', json: variables });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual(variables);
    expect(shape(EnvironmentVariables, await nango.getEnvironmentVariables())).toEqual(variables);
    // A bad list is refused whole: the stored variables stay as they were.
    const bad = await h.api('/environment-variables', {
      method: 'PUT',
      json: [...variables, { name: 'API_REGION', value: 'us' }],
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEFT_API_INVALID_REQUEST');
    expect(await nango.getEnvironmentVariables()).toEqual(variables);
  });
});

describe('methods whose feature Weft does not have', () => {
  it('answer 501 WEFT_NOT_SUPPORTED naming the feature', async () => {
    const calls: Array<[string, () => Promise<unknown>, string]> = [
      ['getProviderTemplates', () => nango.getProviderTemplates({ provider: 'github' }), 'templates'],
      [
        'createQuickstartIntegration',
        () => nango.createQuickstartIntegration({ provider: 'github', unique_key: 'q' }),
        'Quickstart',
      ],
      ['listFunctions', () => nango.listFunctions({ uniqueKey: 'demo' }), 'functions'],
      ['getFunction', () => nango.getFunction({ uniqueKey: 'demo', name: 'items' }), 'functions'],
      ['getFunctionCode', () => nango.getFunctionCode({ uniqueKey: 'demo', name: 'items' }), 'functions'],
      [
        'deleteFunction',
        () => nango.deleteFunction({ uniqueKey: 'demo', name: 'items' }, { type: 'sync' }),
        'functions',
      ],
      [
        'patchConnection',
        () => nango.patchConnection({ connectionId: 'c1', provider_config_key: 'demo' }, { tags: { a: 'b' } }),
        'connection',
      ],
      [
        'createSyncVariant',
        () =>
          nango.createSyncVariant({ provider_config_key: 'demo', connection_id: 'c1', name: 'items', variant: 'eu' }),
        'variants',
      ],
      [
        'deleteSyncVariant',
        () =>
          nango.deleteSyncVariant({ provider_config_key: 'demo', connection_id: 'c1', name: 'items', variant: 'eu' }),
        'variants',
      ],
    ];
    for (const [method, call, feature] of calls) {
      const result = await failure(call());
      expect(result, method).toMatchObject({ status: 501, code: 'WEFT_NOT_SUPPORTED' });
      expect(result.message.toLowerCase(), method).toContain(feature.toLowerCase());
    }
  });
});

describe('route forms as Nango clients send them', () => {
  it('trailing slashes, empty optional headers, header case, DELETE with a JSON content type and no body', async () => {
    const slash = await h.api('/connections/?connectionId=c1');
    expect(slash.status).toBe(200);
    expect(((await slash.json()) as { connections: unknown[] }).connections).toHaveLength(1);
    expect((await h.api('/integrations/')).status).toBe(200);
    const records = await h.api('/records/?model=Item&limit=1', {
      headers: { 'CONNECTION-ID': 'c1', 'provider-config-key': 'demo', 'Base-Url-Override': '' },
    });
    expect(records.status).toBe(200);
    const proxied = await h.api('/proxy/echo', {
      headers: { 'Connection-Id': 'c1', 'Provider-Config-Key': 'demo', 'Base-Url-Override': '', Retries: '' },
    });
    expect(proxied.status).not.toBe(400);
    await h.api('/connection', {
      method: 'POST',
      json: { connection_id: 'gone', provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'x' } },
    });
    const deleted = await h.api('/connection/gone?provider_config_key=demo', {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
    });
    expect(deleted.status).toBe(200);
  });

  it('bad input on the new forms gets the stable codes', async () => {
    const cases: Array<[string, RequestInit & { json?: unknown }, number, string]> = [
      ['/connections/c1', {}, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/connections/c1?provider_config_key=demo&force_refresh=maybe', {}, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/connections/metadata', { method: 'POST', json: { connection_id: [] } }, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/connections', { method: 'POST', json: { connection_id: 'x' } }, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/connect/sessions/reconnect', { method: 'POST', json: {} }, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/providers/no-such-provider', {}, 400, 'WEFT_AUTH_UNKNOWN_PROVIDER'],
      ['/integrations/demo?include=secrets', {}, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/sync/status?provider_config_key=demo&syncs=items::eu', {}, 501, 'WEFT_NOT_SUPPORTED'],
      [
        '/sync/trigger',
        { method: 'POST', json: { provider_config_key: 'demo', opts: { reset: 'yes' } } },
        400,
        'WEFT_API_INVALID_REQUEST',
      ],
      ['/scripts/config?format=yaml', {}, 400, 'WEFT_API_INVALID_REQUEST'],
      ['/action/not-a-uuid', {}, 400, 'WEFT_API_INVALID_REQUEST'],
      [
        '/connections/metadata',
        { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{' },
        400,
        'WEFT_API_INVALID_REQUEST',
      ],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await h.api(path, init);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect({ path, status: response.status, code: body.error.code }).toEqual({ path, status, code });
      expect(body.error.message.length).toBeGreaterThan(10);
    }
  });
});

describe('the API contract', () => {
  it('every answer above matched its route contract (GET /openapi.json)', () => {
    expect(violations).toEqual([]);
  });
});
