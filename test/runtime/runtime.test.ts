import { connectionRowId } from '@weft/db';
import { readRecords } from '@weft/records';
import { compileIntegration, type Runner } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { createHarnessRunner } from '../helpers/harness-runner.js';
import type { Upstream } from '../proxy/upstream.js';
import { startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: Upstream & { items: Array<{ id: string; title: string; bytes: number }> };
let runner: Runner;
const connections: Record<string, RunnerConnection> = {};

async function setupIntegration(key: string) {
  connections[key] = await connectApiKeyIntegration(h, key, `${key}-conn`, api.url);
}

async function stored(key: string, model: string) {
  const page = await readRecords(h.db.pool, {
    connectionRowId: connections[key]?.id ?? connectionRowId(0),
    model,
    limit: 1000,
  });
  return page.records.map(
    (r) => JSON.parse(r) as Record<string, unknown> & { _nango_metadata: { last_action: string } },
  );
}

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi();
  runner = createHarnessRunner(h);
  await setupIntegration('demo');
  await setupIntegration('legacy-demo');
  const demo = await compileIntegration(`${fixtures}demo`);
  expect((await runner.deploy(h.environmentId, 'demo', demo)).applied).toBe(true);
  const legacy = await compileIntegration(`${fixtures}legacy-demo`);
  expect((await runner.deploy(h.environmentId, 'legacy-demo', legacy)).applied).toBe(true);
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

describe('createSync / createAction in the sandbox', () => {
  it('extracts the definition at compile time', async () => {
    const [sync] = (await runner.scriptsConfig(h.environmentId, 'demo')).filter((s) => s.kind === 'sync');
    expect(sync?.definition).toMatchObject({
      kind: 'sync',
      frequency: 'every hour',
      frequencySeconds: 3600,
      syncType: 'full',
      models: { Item: { type: 'object', required: ['id', 'name', 'size'] } },
      checkpointSchema: { type: 'object' },
    });
  });

  it('a sync paginates through the proxy, validates and stores every record, then detects deletions', async () => {
    const first = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections.demo!,
      syncName: 'items',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(first.error).toBeUndefined();
    expect(first).toMatchObject({ status: 'success', counts: { Item: { added: 120, updated: 0, deleted: 0 } } });
    expect(first.logs.map((l) => l.message)).toContain('done for demo-conn');
    const records = await stored('demo', 'Item');
    expect(records).toHaveLength(120);
    expect(records[7]).toMatchObject({ id: 'item-7', name: 'Item 7', size: 70 });

    api.items.splice(0, 5); // five items vanish upstream
    const item = api.items[0];
    if (item) item.title = 'Renamed';
    const second = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections.demo!,
      syncName: 'items',
      mode: 'incremental',
      lastSyncDate: new Date().toISOString(),
    });
    expect(second).toMatchObject({ status: 'success', counts: { Item: { added: 0, updated: 1, deleted: 5 } } });
    expect(
      (await stored('demo', 'Item')).filter((r) => r._nango_metadata.last_action === 'DELETED').map((r) => r.id),
    ).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4']);
  });

  it('an action validates input and output; ActionError and axios-shaped errors reach the caller', async () => {
    const ok = await runner.runAction({
      environmentId: h.environmentId,
      connection: connections.demo!,
      actionName: 'get-item',
      input: { id: 'item-9' },
    });
    expect(ok.output).toEqual({ id: 'item-9', name: 'Item 9', size: 90 });
    await expect(
      runner.runAction({
        environmentId: h.environmentId,
        connection: connections.demo!,
        actionName: 'get-item',
        input: { id: 'nope' },
      }),
    ).rejects.toMatchObject({
      code: 'WEFT_RUNNER_ACTION_FAILED',
      details: { payload: { type: 'not_found', message: 'No item nope' } },
    });
    await expect(
      runner.runAction({
        environmentId: h.environmentId,
        connection: connections.demo!,
        actionName: 'get-item',
        input: { id: '' },
      }),
    ).rejects.toMatchObject({
      code: 'WEFT_RUNNER_INVALID_INPUT',
    });
    await expect(
      runner.runAction({
        environmentId: h.environmentId,
        connection: connections.demo!,
        actionName: 'missing',
        input: {},
      }),
    ).rejects.toMatchObject({
      code: 'WEFT_RUNNER_SCRIPT_NOT_FOUND',
    });
  });
});

describe('legacy form (fetchData / runAction + nango.yaml)', () => {
  it('runs with models from nango.yaml and track_deletes over the whole run', async () => {
    const [sync] = (await runner.scriptsConfig(h.environmentId, 'legacy-demo')).filter((s) => s.kind === 'sync');
    expect(sync?.definition).toMatchObject({
      legacy: true,
      trackDeletes: true,
      frequencySeconds: 1800,
      models: { Item: { required: ['id', 'name', 'size'] } },
    });
    const run = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections['legacy-demo']!,
      syncName: 'items',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(run.error).toBeUndefined();
    expect(run.counts.Item?.added).toBe(api.items.length);
    expect(run.logs.map((l) => l.message)).toContain('first run');
    api.items.pop();
    const again = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections['legacy-demo']!,
      syncName: 'items',
      mode: 'incremental',
      lastSyncDate: '2026-01-01T00:00:00.000Z',
    });
    expect(again.counts.Item).toMatchObject({ added: 0, deleted: 1 });
    expect(again.logs.map((l) => l.message)).toContain('incremental since 2026-01-01T00:00:00.000Z');
  });

  it('legacy actions run', async () => {
    const renamed = await runner.runAction({
      environmentId: h.environmentId,
      connection: connections['legacy-demo']!,
      actionName: 'rename-item',
      input: { id: 'item-10', name: 'New name' },
    });
    expect(renamed.output).toEqual({ id: 'item-10', name: 'New name', size: 100 });
  });
});
