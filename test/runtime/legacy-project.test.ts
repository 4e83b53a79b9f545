import { readFile } from 'node:fs/promises';
import { connectionRowId } from '@weft/db';
import { readRecords } from '@weft/records';
import { compileIntegration, type Runner } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { createHarnessRunner } from '../helpers/harness-runner.js';
import { type DemoApi, startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
let runner: Runner;
const connections: Record<string, RunnerConnection> = {};

async function connect(key: string) {
  connections[key] = await connectApiKeyIntegration(h, key, `${key}-1`, api.url);
}

const stored = async (key: string, model: string) =>
  (
    await readRecords(h.db.pool, { connectionRowId: connections[key]?.id ?? connectionRowId(0), model, limit: 1000 })
  ).records.map((r) => JSON.parse(r) as Record<string, unknown>);

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(60);
  runner = createHarnessRunner(h);
  await connect('legacy-items');
  await connect('legacy-v1');
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

describe('a legacy nango.yaml (v2) project importing ../../models', () => {
  it('generates models.ts beside nango.yaml the way Nango does, compiles strictly and reads every nango.yaml feature', async () => {
    const scripts = await compileIntegration(`${fixtures}nango-legacy/legacy-items`);
    const models = await readFile(`${fixtures}nango-legacy/models.ts`, 'utf8');
    // Every model, with optional fields, unions, null, arrays, references, __extends (flattened),
    // Date, string and number literals and __string index signatures.
    expect(models).toContain('export interface LegacyItem {\n  created_at: Date;\n  updated_at: Date | null;');
    expect(models).toContain("  kind: 'file' | 'folder';");
    expect(models).toContain("  priority: 'high' | 'low' | 3;");
    expect(models).toContain('  tags?: string[] | undefined;');
    expect(models).toContain('  owner: Owner | null;');
    expect(models).toContain('  extra?: Record<string, any> | undefined;');
    expect(models).toContain('  labels: {\n    [key: string]: string;\n  };');
    expect(models).toContain('export interface RenameInput {');
    // The SDK names legacy scripts import from it, and NangoFlows.
    expect(models).toMatch(/export \{ ActionError \} from 'nango';/);
    expect(models).toContain('LegacyNangoSync as NangoSync');
    expect(models).toContain('LegacyNangoAction as NangoAction');
    expect(models).toContain('export const NangoFlows = [');

    const byName = Object.fromEntries(scripts.map((s) => [s.name, s.definition]));
    expect(byName.items).toMatchObject({
      kind: 'sync',
      legacy: true,
      description: 'All items, full refresh with deletion detection.',
      version: '1.2.0',
      frequency: 'every 30 minutes',
      syncType: 'full',
      trackDeletes: true,
      autoStart: false,
      scopes: ['items.read', 'items.list'],
      endpoints: [{ method: 'GET', path: '/legacy/items' }],
      webhookSubscriptions: ['item.updated'],
      metadataSchema: { type: 'object', required: ['folders'] },
      models: {
        LegacyItem: {
          type: 'object',
          required: ['created_at', 'updated_at', 'id', 'name', 'size', 'kind', 'status', 'priority', 'owner', 'labels'],
          properties: {
            kind: { anyOf: [{ const: 'file' }, { const: 'folder' }] },
            owner: { anyOf: [{ type: 'object', required: ['id'] }, { type: 'null' }] },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
      },
    });
    expect(byName['item-owners']).toMatchObject({
      syncType: 'incremental',
      autoStart: true,
      endpoints: [{ method: 'GET', path: '/legacy/owners', group: 'Owners' }],
      models: { Owner: { required: ['id'] } },
    });
    expect(byName['rename-item']).toMatchObject({
      kind: 'action',
      version: '2.0.0',
      scopes: ['items.write'],
      endpoint: { method: 'POST', path: '/legacy/items/rename' },
      inputSchema: { required: ['id', 'name'] },
      outputSchema: { type: 'object' },
    });
    expect(byName['remember-tenant']).toEqual({
      kind: 'on-event',
      legacy: true,
      description: '',
      version: '0.0.1',
      event: 'post-connection-creation',
    });
    expect((await runner.deploy(h.environmentId, 'legacy-items', scripts)).applied).toBe(true);
  });

  it('runs the legacy sync and action; Date fields arrive as ISO strings and track_deletes tombstones', async () => {
    const first = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections['legacy-items']!,
      syncName: 'items',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(first.error).toBeUndefined();
    expect(first.counts).toEqual({ LegacyItem: { added: 60, updated: 0, deleted: 0 } });
    expect(first.logs.map((l) => l.message)).toContain('lastSyncDate none');
    const records = await stored('legacy-items', 'LegacyItem');
    expect(records[0]).toMatchObject({ id: 'item-0', kind: 'folder', created_at: '1970-01-01T00:00:00.000Z' });

    api.items.pop();
    const second = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections['legacy-items']!,
      syncName: 'items',
      mode: 'incremental',
      lastSyncDate: new Date().toISOString(),
    });
    expect(second.counts.LegacyItem).toMatchObject({ deleted: 1 });
    expect(second.logs.map((l) => l.message)).toContain('lastSyncDate set');

    const renamed = await runner.runAction({
      environmentId: h.environmentId,
      connection: connections['legacy-items']!,
      actionName: 'rename-item',
      input: { id: 'item-3', name: 'Renamed' },
    });
    expect(renamed.output).toMatchObject({ id: 'item-3', name: 'Renamed', created_at: '1970-01-01T00:00:00.000Z' });
  });
});

describe('a nango.yaml v1 project', () => {
  it('compiles (scripts under the integration, `returns`, `type: action`) and runs', async () => {
    const scripts = await compileIntegration(`${fixtures}nango-legacy-v1/legacy-v1`);
    expect(Object.fromEntries(scripts.map((s) => [s.name, s.definition.kind]))).toEqual({
      items: 'sync',
      'rename-item': 'action',
    });
    await runner.deploy(h.environmentId, 'legacy-v1', scripts);
    const result = await runner.runSync({
      environmentId: h.environmentId,
      connection: connections['legacy-v1']!,
      syncName: 'items',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(result.error).toBeUndefined();
    expect((await stored('legacy-v1', 'SimpleItem')).length).toBe(50);
    const renamed = await runner.runAction({
      environmentId: h.environmentId,
      connection: connections['legacy-v1']!,
      actionName: 'rename-item',
      input: { id: 'item-1', name: 'V1' },
    });
    expect(renamed.output).toEqual({ id: 'item-1', name: 'V1' });
  });
});
