import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from './helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;

beforeAll(async () => {
  // 'every 30 days' is 12 minutes here: after its first run the sync only runs when triggered.
  h = await startApi({
    scheduler: { timeScale: 1 / 3600, tickMs: 50, heartbeatMs: 200, heartbeatTimeoutMs: 5_000, retryDelayMs: 100 },
  });
  api = await startDemoApi(120);
  for (const [key, dir] of [
    ['append', 'append-only'],
    ['legacy', 'legacy-demo'],
  ] as const) {
    await h.api('/integrations', {
      method: 'POST',
      json: { unique_key: key, provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
    });
    await h.api('/connection', {
      method: 'POST',
      json: { connection_id: 'c1', provider_config_key: key, credentials: { type: 'API_KEY', apiKey: 'k' } },
    });
    await h.runner.deploy(h.environmentId, key, await compileIntegration(`${fixtures}${dir}`));
  }
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

interface Run {
  id: string;
  status: string;
  mode: string;
  attempt: number;
  trigger: string;
  counts: Record<string, { added: number; updated: number; deleted: number }>;
  logs: Array<{ message: string }> | null;
}

async function runs(key: string): Promise<Run[]> {
  const { rows } = await h.db.pool.query<Run>(
    `SELECT r.id, r.status, r.mode, r.attempt, r.trigger, r.counts, r.logs FROM sync_runs r
     JOIN connections c ON c.id = r.connection_id WHERE c.provider_config_key = $1 ORDER BY r.created_at`,
    [key],
  );
  return rows;
}

async function idle(key: string): Promise<Run[]> {
  return eventually(
    async () => {
      const list = await runs(key);
      return list.length > 0 && list.every((r) => r.status !== 'queued' && r.status !== 'running') ? list : undefined;
    },
    20_000,
    `${key} idle`,
  );
}

async function records(query = '') {
  const out: Body[] = [];
  let cursor = '';
  for (;;) {
    const page = await h.get(`/records?model=Item&limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { 'connection-id': 'c1', 'provider-config-key': 'append' },
    });
    out.push(...page.records);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

const live = async () =>
  (await records())
    .filter((r) => r._nango_metadata.deleted_at === null)
    .map((r) => String(r.id))
    .sort();

/** The append sync's runs after the first `from`, once one of them has succeeded. */
const untilSuccess = (from: number) =>
  eventually(
    async () => {
      const list = (await runs('append')).slice(from);
      return list.some((r) => r.status === 'success') ? list : undefined;
    },
    20_000,
    'the reset to succeed',
  );

/** A page request of the append sync (limit=50; the legacy sync on the same API sends none). */
const appendPage = (url: URL, cursor: string) =>
  url.pathname === '/items' && url.searchParams.get('cursor') === cursor && url.searchParams.get('limit') === '50';

const trigger = (key: string, mode?: string) =>
  h.api('/sync/trigger', {
    method: 'POST',
    json: { provider_config_key: key, syncs: ['items'], connection_id: 'c1', ...(mode ? { sync_mode: mode } : {}) },
  });

describe('full resync with reset (sync_mode full_refresh_and_clear_cache)', () => {
  it('replaces the records with what a successful run saved; a failed attempt deletes nothing and its retry resumes', async () => {
    await idle('append'); // the first scheduled run
    expect(await live()).toHaveLength(120);

    // Items vanish upstream (from the first and the last page) and one is renamed: an
    // incremental run of a script that never deletes keeps the vanished ones.
    const gone = [...api.items.splice(110, 5), ...api.items.splice(3, 5)].map((i) => i.id).sort();
    const renamed = api.items[0];
    if (renamed) renamed.title = 'Renamed upstream';
    expect((await trigger('append')).status).toBe(200);
    const [incremental] = (await idle('append')).slice(-1);
    expect(incremental).toMatchObject({ status: 'success', mode: 'incremental' });
    expect(incremental?.counts.Item).toMatchObject({ updated: 1, deleted: 0 });
    expect(await live()).toHaveLength(120);
    const cursor = (await records()).at(-1)?._nango_metadata.cursor as string;

    // The reset's first attempt fails on the third page, after saving two; its retry resumes
    // from the checkpoint (page two), so the first page is not fetched again — and must not be
    // deleted for that.
    const runsBefore = (await runs('append')).length;
    const firstPagesBefore = api.seen.filter((r) => r.url.startsWith('/items?') && !r.url.includes('cursor=')).length;
    // Only the append sync's request (it asks limit=50): the legacy sync polls the same pages every
    // 0.5 s and would otherwise take the failure when it happens to ask first.
    api.failNext((url) => appendPage(url, '100'));
    const response = await trigger('append', 'full_refresh_and_clear_cache');
    expect(response.status).toBe(200);
    // (Not `idle`: between the failed attempt and its retry being queued nothing is active.)
    const after = await untilSuccess(runsBefore);
    expect(after.map((r) => [r.status, r.mode, r.attempt])).toEqual([
      ['failed', 'reset', 1],
      ['success', 'reset', 2],
    ]);
    expect(api.seen.filter((r) => r.url.startsWith('/items?') && !r.url.includes('cursor=')).length).toBe(
      firstPagesBefore + 1,
    );
    expect(after[1]?.counts.Item).toMatchObject({ deleted: gone.length });
    expect(await live()).toEqual(api.items.map((i) => i.id).sort());

    // Consumers see exactly the removed items as deletions.
    const changes = await records(`&cursor=${cursor}&filter=deleted`);
    expect(changes.map((r) => String(r.id)).sort()).toEqual(gone);
  });

  it('a reset asked for while a run is queued upgrades that run instead of being dropped', async () => {
    await idle('append');
    // The append sync's own page: the legacy sync polls the same pages and, held instead, would
    // leave the append run free to finish before the triggers below (then nothing is queued).
    const held = api.hold((url) => appendPage(url, '50'));
    let queued: string[] = [];
    try {
      await trigger('append');
      await held.arrived; // a run is mid-flight
      queued = ((await (await trigger('append')).json()) as Body).runs;
      expect(queued).toHaveLength(1);
      const upgraded = ((await (await trigger('append', 'full_refresh_and_clear_cache')).json()) as Body).runs;
      expect(upgraded).toEqual(queued);
      // Asking again for less than what is queued changes nothing.
      expect(((await (await trigger('append', 'full_refresh')).json()) as Body).runs).toEqual([]);
    } finally {
      held.release();
    }
    const list = await idle('append');
    expect(list.find((r) => r.id === queued[0])).toMatchObject({ status: 'success', mode: 'reset', trigger: 'manual' });
  });

  it('a reset that fails while a run is queued behind it makes that run its retry: the reset is not lost', async () => {
    await idle('append');
    const before = (await runs('append')).length;
    const secondPage = (url: URL) => appendPage(url, '50');
    const held = api.hold(secondPage);
    expect((await trigger('append', 'full_refresh_and_clear_cache')).status).toBe(200);
    await held.arrived; // the reset is running, waiting for its second page
    expect((await trigger('append')).status).toBe(200); // an incremental run queues behind it
    await eventually(
      async () => (await runs('append')).slice(before).some((r) => r.status === 'queued' && r.mode === 'incremental'),
      10_000,
      'the incremental run queued',
    );
    api.failNext(secondPage);
    held.release();
    const after = await untilSuccess(before);
    expect(after.map((r) => [r.status, r.mode, r.attempt, r.trigger])).toEqual([
      ['failed', 'reset', 1, 'manual'],
      ['success', 'reset', 2, 'retry'],
    ]);
    expect(await live()).toEqual(api.items.map((i) => i.id).sort());
  });

  it('full and reset runs give legacy scripts no lastSyncDate, so they fetch everything', async () => {
    // The legacy sync runs every 30 minutes (0.5 s here): slow it down so only triggers run it.
    const slowed = await h.api('/sync/update-connection-frequency', {
      method: 'PUT',
      json: { provider_config_key: 'legacy', connection_id: 'c1', sync_name: 'items', frequency: 'every 30 days' },
    });
    expect(slowed.status).toBe(200);
    await idle('legacy');
    const logOf = async (mode?: string) => {
      const [id] = ((await (await trigger('legacy', mode)).json()) as Body).runs as string[];
      const run = (await idle('legacy')).find((r) => r.id === id);
      expect(run?.status).toBe('success');
      return run?.logs?.map((l) => l.message).join('\n');
    };
    expect(await logOf()).toContain('incremental since');
    expect(await logOf('full_refresh')).toContain('first run');
    expect(await logOf('full_refresh_and_clear_cache')).toContain('first run');
  });

  it('the CLI asks for a reset with --reset', async () => {
    await idle('append');
    const before = (await runs('append')).length;
    const cli = spawnWeft(['sync', 'trigger', 'append', 'items', '--connection', 'c1', '--reset', '--wait'], {
      WEFT_API_URL: h.url,
      WEFT_SECRET_KEY: h.secretKey,
    });
    expect(await cli.exited, cli.stderr.join('\n')).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/c1 {2}items {2}SUCCESS/);
    expect((await idle('append')).slice(before).map((r) => [r.status, r.mode, r.trigger])).toEqual([
      ['success', 'reset', 'manual'],
    ]);
  });

  it('an unknown sync_mode is refused with a stable code', async () => {
    const response = await trigger('append', 'everything');
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as Body;
    expect(error.code).toBe('WEFT_API_INVALID_REQUEST');
    expect(error.message).toContain('sync_mode');
  });
});
