import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../helpers/api-harness.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

let e: MicrosoftE2E;

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: 'one-note',
    tenant: 'common',
    seed: {
      seed: 9,
      files: 0,
      largeFiles: 0,
      messages: 0,
      events: 0,
      notebooks: 3,
      sectionsPerNotebook: 2,
      pagesPerNotebook: 140,
    },
  });
}, 120_000);
afterAll(async () => {
  await e.close();
});

const ids = (list: Body[]) => list.map((r) => String(r.id)).sort();

describe('OneNote end to end', () => {
  let cursor: string | undefined;

  it('connect → deploy → scheduled runs → every notebook and every page with its section and notebook → signed webhook', async () => {
    await e.nextRun('notebooks');
    await e.nextRun('pages');
    expect(ids((await e.allRecords('OneNoteNotebook')).records)).toEqual(ids(e.graph.listNotebooks()));
    const pages = await e.allRecords('OneNotePage');
    cursor = pages.last;
    const expected = e.graph.listPages();
    expect(expected.length).toBe(420);
    expect(ids(pages.records)).toEqual(ids(expected));
    const sample = expected[17] as Body;
    expect(pages.records.find((r) => r.id === sample.id)).toMatchObject({
      title: sample.title,
      sectionId: sample.parentSection.id,
      sectionName: sample.parentSection.displayName,
      notebookId: sample.parentNotebook.id,
    });
    const hook = await e.signedSyncWebhook('pages');
    expect(hook).toMatchObject({
      connectionId: e.connectionId,
      model: 'OneNotePage',
      responseResults: { added: 420, updated: 0, deleted: 0 },
    });
  });

  it('a new, a renamed and a deleted page → the next run reports exactly those; unchanged pages are not rewritten', async () => {
    const [section] = e.graph.listSections() as Body[];
    const [, renamed, , removed] = e.graph.listPages() as Body[];
    const since = (await e.h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    const added = e.graph.addPage(String(section?.id), 'Meeting notes 2026-11-25');
    e.graph.renamePage(String(renamed?.id), 'Renamed page');
    e.graph.deletePage(String(removed?.id));
    await e.nextRun('pages');
    const { records } = await e.allRecords('OneNotePage', cursor);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `UPDATED:${renamed?.id}`, `DELETED:${removed?.id}`].sort(),
    );
    // Runs that ended after the change (any that could see it) wrote exactly these three records
    // between them: the other 420 pages, listed again by every full run, were not rewritten.
    const { rows } = await e.h.db.pool.query<{ counts: Record<string, Record<string, number>> }>(
      `SELECT counts FROM sync_runs WHERE sync_name = 'pages' AND status = 'success' AND ended_at > $1`,
      [since],
    );
    const total = { added: 0, updated: 0, deleted: 0 };
    for (const row of rows)
      for (const key of ['added', 'updated', 'deleted'] as const) total[key] += row.counts.OneNotePage?.[key] ?? 0;
    expect(total).toEqual({ added: 1, updated: 1, deleted: 1 });
  });

  it('a 429 storm slows the pages run down and it still completes with nothing lost', async () => {
    const [section] = e.graph.listSections() as Body[];
    const added = e.graph.addPage(String(section?.id), 'After the storm');
    e.graph.throttleNext(3, 1);
    await e.nextRun('pages');
    const live = (await e.allRecords('OneNotePage')).records.filter((r) => r._nango_metadata.deleted_at === null);
    expect(ids(live)).toEqual(ids(e.graph.listPages()));
    expect(live.some((r) => r.id === added.id)).toBe(true);
    expect(e.graph.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
  });
});
