import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;

beforeAll(async () => {
  h = await startApi({ scheduler: { concurrency: 4, providerConcurrency: 1, tickMs: 50 } });
  api = await startDemoApi(60);
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  for (const id of ['a', 'b', 'c']) {
    await h.api('/connection', {
      method: 'POST',
      json: { connection_id: id, provider_config_key: 'demo', credentials: { type: 'API_KEY', apiKey: 'k' } },
    });
  }
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

describe('per-integration concurrency', () => {
  it('with a cap of 1, runs of one integration never overlap although worker slots are free', async () => {
    const held = api.hold((url) => url.pathname === '/items' && url.searchParams.get('cursor') === '50');
    await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'demo', syncs: ['items'] } });
    await held.arrived;
    expect((await runsOf(h.db.pool, 'items')).filter((r) => r.status === 'running')).toHaveLength(1);
    held.release();
    const runs = await eventually(
      async () => {
        const list = await runsOf(h.db.pool, 'items');
        return list.length === 3 && list.every((r) => r.status === 'success') ? list : undefined;
      },
      30_000,
      'three runs done',
    );
    const spans = runs
      .map((r) => [Date.parse(r.started_at ?? ''), Date.parse(r.ended_at ?? '')] as const)
      .sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] ?? 0);
  });
});
