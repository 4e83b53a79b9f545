import { readRecords } from '@weft/records';
import { compileIntegration, type Runner } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probes } from '../fixtures/integrations/globals/probes.js';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { createHarnessRunner } from '../helpers/harness-runner.js';
import { json, Upstream } from '../proxy/upstream.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let graph: Upstream;
let runner: Runner;
let connection: RunnerConnection;

// A Graph-shaped list: 5 items, 2 per page, absolute @odata.nextLink URLs carrying $skiptoken.
const items = Array.from({ length: 5 }, (_, i) => ({ id: `item-${i}`, name: `Item ${i}` }));
function serveGraph(): void {
  graph.handler = (req, res) => {
    const url = new URL(req.url, graph.url);
    if (url.pathname !== '/v1.0/me/items') return json(res, 404, { error: 'no route' });
    const top = Number(url.searchParams.get('$top') ?? 100);
    const token = url.searchParams.get('$skiptoken');
    const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8').split(':')[1]);
    const next = start + top;
    const nextLink =
      next < items.length
        ? `${graph.url}/v1.0/me/items?$top=${top}&$skiptoken=${Buffer.from(`skip:${next}`).toString('base64url')}`
        : undefined;
    json(res, 200, { value: items.slice(start, next), ...(nextLink ? { '@odata.nextLink': nextLink } : {}) });
  };
}

beforeAll(async () => {
  h = await startApi();
  graph = await new Upstream().start();
  serveGraph();
  runner = createHarnessRunner(h);
  connection = await connectApiKeyIntegration(h, 'globals', 'g-1', graph.url);
  // Compiled with the strict type-check: the globals are typed for scripts.
  const scripts = await compileIntegration(`${fixtures}globals`);
  expect((await runner.deploy(h.environmentId, 'globals', scripts)).applied).toBe(true);
}, 60_000);
afterAll(async () => {
  await graph.stop();
  await h.close();
});

const probe = async (global: string) =>
  (
    (
      await runner.runAction({
        environmentId: h.environmentId,
        connection,
        actionName: 'use-global',
        input: { global },
      })
    ).output as { result: unknown }
  ).result;

describe('globals Nango gives scripts, inside a deployed script', () => {
  const sameAsNode = [
    'URL',
    'URLSearchParams',
    'Buffer',
    'TextEncoder',
    'TextDecoder',
    'atob',
    'btoa',
    'structuredClone',
    'setTimeout',
    'console',
    'url module',
    'buffer module',
    'crypto module',
    'crypto global',
  ];
  for (const name of sameAsNode) {
    it(`${name} behaves as in Node`, async () => {
      const expected = JSON.parse(JSON.stringify(await probes[name]?.())) as unknown;
      expect(await probe(name)).toEqual(expected);
    });
  }

  it('console output lands in the run log', async () => {
    const result = await runner.runAction({
      environmentId: h.environmentId,
      connection,
      actionName: 'use-global',
      input: { global: 'console' },
    });
    expect(result.logs.map((l) => l.message)).toContain('console.log from the sandbox');
  });

  it('no global leads out of the isolate', async () => {
    expect(await probe('escape')).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
  });

  it('a zero-yaml sync reads the $skiptoken of Graph @odata.nextLink with URL / URLSearchParams', async () => {
    const result = await runner.runSync({
      environmentId: h.environmentId,
      connection,
      syncName: 'graph-items',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(result.error).toBeUndefined();
    expect(result.counts).toEqual({ GraphItem: { added: 5, updated: 0, deleted: 0 } });
    const page = await readRecords(h.db.pool, { connectionRowId: connection.id, model: 'GraphItem', limit: 100 });
    const stored = page.records.map((r) => JSON.parse(r) as { id: string; skiptoken: string | null });
    expect(stored.map((r) => [r.id, r.skiptoken])).toEqual([
      ['item-0', null],
      ['item-1', null],
      ['item-2', Buffer.from('skip:2').toString('base64url')],
      ['item-3', Buffer.from('skip:2').toString('base64url')],
      ['item-4', Buffer.from('skip:4').toString('base64url')],
    ]);
  });
});
