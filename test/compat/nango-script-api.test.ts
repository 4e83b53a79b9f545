import { connectionRowId } from '@weft/db';
import { readRecords } from '@weft/records';
import { compileIntegration, type SyncRunMode } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { type CompatApi, startCompatApi } from './compat-api.js';

// One script per feature of Nango's script API, written the way Nango's docs show them
// (fixtures/integrations/nango-compat: zero-yaml; nango-compat-legacy: nango.yaml + functions),
// each run in Weft's sandbox and compared with what Nango's documentation (and its runner-sdk,
// where the docs are silent) says the feature does. Each `it` names the behaviour it pins.

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: CompatApi;
const conn: Record<string, RunnerConnection> = {};

async function setup(key: string) {
  conn[key] = await connectApiKeyIntegration(h, key, `${key}-conn`, api.url);
}

beforeAll(async () => {
  h = await startApi();
  api = await startCompatApi();
  await setup('nango-compat');
  await setup('nango-compat-legacy');
  for (const key of ['nango-compat', 'nango-compat-legacy']) {
    const scripts = await compileIntegration(`${fixtures}${key}`);
    expect((await h.runner.deploy(h.environmentId, key, scripts)).applied).toBe(true);
  }
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await h?.close();
});

const key = 'nango-compat';

async function sync(
  syncName: string,
  options: { mode?: SyncRunMode; variant?: string; lastSyncDate?: string | null; provider?: string } = {},
) {
  const providerConfigKey = options.provider ?? key;
  return h.runner.runSync({
    environmentId: h.environmentId,
    connection: conn[providerConfigKey]!,
    syncName,
    mode: options.mode ?? 'full',
    lastSyncDate: options.lastSyncDate ?? null,
    ...(options.variant ? { variant: options.variant } : {}),
  });
}

async function action(actionName: string, input: unknown, provider = key) {
  return h.runner.runAction({ environmentId: h.environmentId, connection: conn[provider]!, actionName, input });
}

async function records(model: string, provider = key) {
  const page = await readRecords(h.db.pool, {
    connectionRowId: conn[provider]?.id ?? connectionRowId(0),
    model,
    limit: 1000,
  });
  return page.records.map((r) => JSON.parse(r) as Body);
}

const seenSince = (start: number) => api.seen.slice(start).map((r) => `${r.method} ${r.url}`);
const allIds = () => api.items.map((i) => i.id).sort();

describe('paginate (every type and option)', () => {
  it('cursor: cursor from a nested body path sent as a query parameter, limit, response_path; stops on an empty cursor', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-cursor');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    expect(result.logs.map((l) => l.message)).toContain('pages 3,3,1');
    expect(seenSince(start)).toEqual([
      'GET /cursor/items?limit=3',
      'GET /cursor/items?limit=3&cursor=3',
      'GET /cursor/items?limit=3&cursor=6',
    ]);
  });

  it('link in the body: absolute next links followed (params dropped after the first page); on_page gets each next link, then null', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-link-body');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    expect(result.logs.map((l) => l.message)).toContain(
      'links /link/items?page=2&per_page=3 /link/items?page=3&per_page=3 none',
    );
    expect(seenSince(start)).toEqual([
      'GET /link/items?per_page=3',
      'GET /link/items?page=2&per_page=3',
      'GET /link/items?page=3&per_page=3',
    ]);
  });

  it('link in the Link header (rel="next"), limit as per_page, the page is the whole body', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-link-header');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    expect(seenSince(start)).toEqual([
      'GET /header/items?per_page=3',
      'GET /header/items?page=2&per_page=3',
      'GET /header/items?page=3&per_page=3',
    ]);
  });

  it('offset per page: starts at offset_start_value, +1 per page, stops on a short page; on_page gets the offset just used', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-offset-per-page');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    expect(result.logs.map((l) => l.message)).toContain('next offsets 1,2');
    expect(seenSince(start)).toEqual([
      'GET /offset/items?size=3&page=1',
      'GET /offset/items?size=3&page=2',
      'GET /offset/items?size=3&page=3',
    ]);
  });

  it('offset by response size (the default method): the offset advances by the items received', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-offset-by-size');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    expect(seenSince(start)).toEqual([
      'GET /skip/items?limit=3&offset=0',
      'GET /skip/items?limit=3&offset=3',
      'GET /skip/items?limit=3&offset=6',
    ]);
  });

  it('POST pagination: dotted names (variables.after, variables.first) go into the JSON body', async () => {
    const start = api.seen.length;
    const result = await sync('paginate-post-cursor');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(result.logs.map((l) => l.message)).toContain('saved 7');
    const bodies = api.seen.slice(start).map((r) => JSON.parse(r.body) as Body);
    expect(bodies.map((b) => b.variables)).toEqual([{ first: 3 }, { first: 3, after: '3' }, { first: 3, after: '6' }]);
    expect(bodies.every((b) => b.query === '{ items { nodes { id name } } }')).toBe(true);
  });
});

describe('requests', () => {
  it('get/post/put/patch/delete answer { data, status, headers }; a 404 throws with error.response.status and .data', async () => {
    const { output } = await action('http-methods', {});
    const out = output as Body;
    expect(out.results.map((r: Body) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
      'POST 201',
      'PUT 200',
      'PATCH 200',
      'DELETE 200',
    ]);
    expect(out.results[0].data.query).toEqual({ q: '1' });
    expect(out.results.slice(1, 4).map((r: Body) => r.data.body)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(out.notFound).toEqual({ status: 404, data: { error: 'not found', path: '/missing' } });
  });
});

describe('records', () => {
  it('checkpoints: saved per page; a failed run resumes from the last one; cleared at the end', async () => {
    // A 4xx: Weft's proxy retries 5xx of idempotent calls itself (see README), which would hide the failure.
    api.failNext((url) => url.pathname === '/offset/items' && url.searchParams.get('page') === '2', 400);
    const failed = await sync('checkpoint-resume', { mode: 'incremental' });
    expect(failed.status).toBe('failed');
    const checkpoint = await h.db.pool.query('SELECT checkpoint FROM sync_checkpoints WHERE sync_name = $1', [
      'checkpoint-resume',
    ]);
    expect(checkpoint.rows[0]?.checkpoint).toEqual({ page: 2 });

    const start = api.seen.length;
    const resumed = await sync('checkpoint-resume', { mode: 'incremental' });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('success');
    expect(resumed.logs.map((l) => l.message)).toContain('starting at page 2');
    expect(seenSince(start)[0]).toBe('GET /offset/items?page=2&size=3');
    expect((await records('Item')).map((r) => r.id).sort()).toEqual(expect.arrayContaining(allIds()));
    const after = await h.db.pool.query('SELECT checkpoint FROM sync_checkpoints WHERE sync_name = $1', [
      'checkpoint-resume',
    ]);
    expect(after.rows[0]?.checkpoint ?? null).toBeNull();
  });

  it('trackDeletesStart/End: a record missing from the next full snapshot is deleted', async () => {
    const first = await sync('track-deletes');
    expect(first.status, JSON.stringify(first.error)).toBe('success');
    const removed = api.items.splice(2, 1)[0];
    try {
      const second = await sync('track-deletes');
      expect(second.status, JSON.stringify(second.error)).toBe('success');
      expect(second.counts.Item?.deleted).toBe(1);
      const stored = await records('Item');
      const gone = stored.find((r) => r.id === removed?.id);
      expect(gone?._nango_metadata.last_action).toBe('DELETED');
    } finally {
      if (removed) api.items.splice(2, 0, removed);
    }
  });

  it('batchSave, batchUpdate (only the given fields change), batchDelete', async () => {
    const result = await sync('batch-operations', { mode: 'incremental' });
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    const stored = await records('Item');
    const byId = (id: string) => stored.find((r) => r.id === id);
    expect(byId('a')).toMatchObject({ id: 'a', name: 'A' });
    expect(byId('b')).toMatchObject({ id: 'b', name: 'B2' });
    expect(byId('c')?._nango_metadata.last_action).toBe('DELETED');
  });

  it('variants: nango.variant is the run variant, "base" by default', async () => {
    expect((await sync('variants', { mode: 'incremental' })).status).toBe('success');
    expect((await sync('variants', { mode: 'incremental', variant: 'eu' })).status).toBe('success');
    const ids = (await records('Item')).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['v-base', 'v-eu']));
  });
});

describe('connection and environment', () => {
  it('getMetadata returns the connection metadata; updateMetadata merges into it', async () => {
    const set = await h.api('/connection/metadata', {
      method: 'POST',
      json: { connection_id: 'nango-compat-conn', provider_config_key: key, metadata: { prefix: 'acme', keep: 1 } },
    });
    expect(set.status).toBeLessThan(300);
    const result = await sync('metadata', { mode: 'incremental' });
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect((await records('Item')).find((r) => r.id === 'm1')?.name).toBe('acme-1');
    const connection = await h.get(`/connection/nango-compat-conn?provider_config_key=${key}`);
    expect(connection.metadata).toEqual({ prefix: 'acme', keep: 1, lastRun: 'done' });
  });

  it('getConnection: ids, connection_config and metadata of the run connection', async () => {
    const { output } = await action('get-connection', {});
    expect(output).toEqual({
      connection_id: 'nango-compat-conn',
      provider_config_key: key,
      metadata: expect.objectContaining({ prefix: 'acme' }),
      hasConnectionConfig: true,
      nangoConnectionId: 'nango-compat-conn',
      nangoProviderConfigKey: key,
    });
  });

  it('getEnvironmentVariables: the list set for the environment ({ name, value }), empty before any is set', async () => {
    expect((await action('environment-variables', {})).output).toEqual({ variables: [] });
    const put = await h.api('/environment-variables', {
      method: 'PUT',
      json: [
        { name: 'API_REGION', value: 'eu' },
        { name: 'FEATURE_X', value: 'on' },
      ],
    });
    expect(put.status).toBe(200);
    expect((await action('environment-variables', {})).output).toEqual({
      variables: [
        { name: 'API_REGION', value: 'eu' },
        { name: 'FEATURE_X', value: 'on' },
      ],
    });
    // The same list @nangohq/node's getEnvironmentVariables() reads.
    expect(await h.get('/environment-variables')).toHaveLength(2);
    const bad = await h.api('/environment-variables', { method: 'PUT', json: [{ name: '1x', value: 'v' }] });
    expect(bad.status).toBe(400);
  });

  it("getWebhookURL: the integration's inbound webhook URL on Weft's public URL", async () => {
    expect((await action('webhook-url', {})).output).toEqual({ url: `${h.url}/webhook/dev/nango-compat` });
  });
});

describe('actions', () => {
  it('ActionError: the action fails with the payload the script threw', async () => {
    await expect(action('action-error', { id: 'x1' })).rejects.toMatchObject({
      code: 'WEFT_RUNNER_ACTION_FAILED',
      details: { payload: { type: 'not_found', message: 'No record x1', details: { id: 'x1' } } },
    });
  });

  it('zodValidateInput: resolves to the safeParse result; invalid input logs each issue and throws ActionError("Invalid input provided")', async () => {
    expect((await action('zod-validate', { email: 'a@example.com' })).output).toEqual({ email: 'a@example.com' });
    const logs: string[] = [];
    await expect(
      h.runner.runAction({
        environmentId: h.environmentId,
        connection: conn[key]!,
        actionName: 'zod-validate',
        input: { email: 'nope' },
        onLog: (entry) => logs.push(`${entry.level} ${entry.message}`),
      }),
    ).rejects.toMatchObject({
      code: 'WEFT_RUNNER_ACTION_FAILED',
      details: { payload: { message: 'Invalid input provided' } },
    });
    expect(logs.some((l) => /^error Invalid input provided: .* at path email$/.test(l))).toBe(true);
  });

  it('log: { level } picks the level, info by default; another object is logged with the message', async () => {
    const { logs } = await action('log-levels', {});
    const lines = logs.map((l) => `${l.level} ${l.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        'debug a debug line',
        'info an info line',
        'warn a warn line',
        'error an error line',
        'info with data {"count":2}',
      ]),
    );
  });
});

describe('legacy (nango.yaml) scripts', () => {
  it('lastSyncDate: null on the first run, then the date the caller passes (start of the last successful run)', async () => {
    const first = await sync('since-last-sync', { mode: 'incremental', provider: 'nango-compat-legacy' });
    expect(first.status, JSON.stringify(first.error)).toBe('success');
    expect(first.logs.map((l) => l.message)).toContain('since never');
    expect(first.counts.Item?.added).toBe(7);
    const start = api.seen.length;
    const second = await sync('since-last-sync', {
      mode: 'incremental',
      provider: 'nango-compat-legacy',
      lastSyncDate: '2026-11-30T10:00:00.000Z',
    });
    expect(second.logs.map((l) => l.message)).toContain('since 2026-11-30T10:00:00.000Z');
    expect(seenSince(start)[0]).toBe('GET /cursor/items?since=2026-11-30T10%3A00%3A00.000Z&limit=4');
  });

  it('zodValidateInput and ActionError from a legacy action', async () => {
    expect((await action('validate-input', { id: 'ab' }, 'nango-compat-legacy')).output).toEqual({
      id: 'ab',
      name: 'Item ab',
    });
    await expect(action('validate-input', { id: 'a' }, 'nango-compat-legacy')).rejects.toMatchObject({
      code: 'WEFT_RUNNER_ACTION_FAILED',
    });
    await expect(action('validate-input', { id: 'gone' }, 'nango-compat-legacy')).rejects.toMatchObject({
      details: { payload: { message: 'gone', code: 'gone' } },
    });
  });
});
