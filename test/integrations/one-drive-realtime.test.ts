import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realtime } from './graph-realtime.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

const KEY = 'one-drive';
let e: MicrosoftE2E;
let rt: ReturnType<typeof realtime>;

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: KEY,
    tenant: 'organizations',
    seed: { seed: 29, files: 20, folderDepth: 1, foldersPerFolder: 2, largeFiles: 0, sites: 1, filesPerSite: 5 },
    graph: { sharepointRest: true },
    // Hourly syncs run once a day: the change below reaches Weft through Graph's notification.
    notifications: true,
    scheduler: { timeScale: 24, tickMs: 50, concurrency: 2 },
  });
  rt = realtime(e, KEY);
  await rt.firstRun('files');
}, 120_000);

afterAll(async () => {
  await e?.close();
});

describe('OneDrive for Business in real time', () => {
  it('deploy → a validated subscription on the user drive → a new and a renamed file → records and a signed webhook, no scheduled run', async () => {
    const [sub, ...others] = rt.live();
    expect(others).toEqual([]);
    expect(sub).toMatchObject({ resource: 'me/drive/root', changeType: ['updated'] });
    expect(e.graph.subscriptions.handshakes.filter((h) => h.url === rt.webhookUrl && h.echoed)).toHaveLength(2);

    const hooksBefore = await rt.quiet();
    const cursor = await rt.cursor('DriveFile');
    const added = e.graph.addFile(e.graph.rootId, { name: 'board-deck.pptx', content: 'slides' });
    const renamed = e.graph.allItems().find((i) => i.file !== undefined && i.id !== added.id);
    e.graph.renameItem(String(renamed?.id), 'renamed-in-real-time.docx');
    await rt.record('DriveFile', cursor, String(added.id), 'ADDED');
    const updated = await rt.record('DriveFile', cursor, String(renamed?.id), 'UPDATED');
    expect(updated.name).toBe('renamed-in-real-time.docx');
    const hook = await rt.signedHook('files', 'DriveFile', hooksBefore);
    expect(hook.connectionId).toBe(e.connectionId);
    const runs = await rt.runs('files');
    expect(runs[0]?.trigger).toBe('manual');
    expect(runs.slice(1).length).toBeGreaterThan(0);
    expect(runs.slice(1).every((r) => r.trigger === 'webhook')).toBe(true);
    expect(e.h.backgroundErrors).toEqual([]);
  });
});
