import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../helpers/api-harness.js';
import { eventually } from '../scheduler/helpers.js';
import { realtime } from './graph-realtime.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

const KEY = 'one-drive-personal';
let e: MicrosoftE2E;
let rt: ReturnType<typeof realtime>;

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: KEY,
    tenant: 'consumers',
    seed: { seed: 19, files: 30, folderDepth: 1, foldersPerFolder: 2, largeFiles: 0 },
    // Hourly syncs run once a day: every change below reaches Weft through Graph's notifications.
    notifications: true,
    scheduler: { timeScale: 24, tickMs: 50, concurrency: 2 },
    env: { WEFT_WEBHOOK_BODY_LIMIT_BYTES: '65536' },
  });
  rt = realtime(e, KEY);
  await rt.firstRun('files');
}, 120_000);

afterAll(async () => {
  await e?.close();
});

/** Add a file and wait until Weft has its record (through a notification) after `cursor`. */
async function addAndSee(name: string): Promise<{ id: string; cursor: string | undefined }> {
  const cursor = await rt.cursor('DriveItem');
  const added = e.graph.addFile(e.graph.rootId, { name, content: name });
  await rt.record('DriveItem', cursor, String(added.id), 'ADDED');
  return { id: String(added.id), cursor };
}

describe('OneDrive Personal in real time (Graph change notifications)', () => {
  it('deploy → a subscription through Graph with the validation handshake → a change in the drive → its record and a signed webhook, with no scheduled run', async () => {
    const [sub, ...others] = rt.live();
    expect(others).toEqual([]);
    expect(sub).toMatchObject({
      resource: 'me/drive/root',
      changeType: ['updated'],
      notificationUrl: rt.webhookUrl,
      lifecycleNotificationUrl: rt.webhookUrl,
    });
    // Both URLs were validated: 200, text/plain, the token echoed.
    const handshakes = e.graph.subscriptions.handshakes.filter((h) => h.url === rt.webhookUrl);
    expect(handshakes.length).toBeGreaterThanOrEqual(2);
    for (const handshake of handshakes) {
      expect(handshake).toMatchObject({ status: 200, echoed: true });
      expect(handshake.contentType).toMatch(/^text\/plain/);
    }
    // Graph's expiration for drive items is at most 42,300 minutes; Weft asks for nearly that.
    expect(sub?.expiresAt ?? 0).toBeGreaterThan(Date.now() + 25 * 86_400_000);
    // Weft keeps only a hash of the clientState.
    const [row] = await rt.rows();
    expect(row).toMatchObject({ state: 'active', subscription_id: sub?.id, sync_name: 'files' });
    expect(row?.client_state_hash?.equals(rt.sha256(sub?.clientState ?? ''))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(sub?.clientState);

    const hooksBefore = await rt.quiet();
    const { id } = await addAndSee('realtime.docx');
    const hook = await rt.signedHook('files', 'DriveItem', hooksBefore);
    expect(hook).toMatchObject({ connectionId: e.connectionId, responseResults: { added: 1, updated: 0, deleted: 0 } });
    expect(id).toBeTruthy();
    // The first run was manual, every later one came from a notification: none was scheduled.
    const runs = await rt.runs('files');
    expect(runs[0]?.trigger).toBe('manual');
    expect(runs.slice(1).length).toBeGreaterThan(0);
    expect(runs.slice(1).every((r) => r.trigger === 'webhook')).toBe(true);
  });

  it('rename and delete reach Weft the same way; a burst of changes loses nothing and saves nothing twice', async () => {
    const cursor = await rt.cursor('DriveItem');
    const files = e.graph.allItems().filter((i) => i.file !== undefined);
    const renamed = String(files[0]?.id);
    const removed = String(files[1]?.id);
    e.graph.renameItem(renamed, 'renamed-live.txt');
    e.graph.deleteItem(removed);
    const burst = Array.from({ length: 15 }, (_, i) => e.graph.addFile(e.graph.rootId, { name: `burst-${i}.txt` }));
    await rt.record('DriveItem', cursor, removed, 'DELETED');
    for (const file of burst) await rt.record('DriveItem', cursor, String(file.id), 'ADDED');
    const changed = await rt.since('DriveItem', cursor);
    const ids = changed.map((r: Body) => r.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(changed.find((r: Body) => r.id === renamed)?.name).toBe('renamed-live.txt');
    expect((await rt.runs('files')).every((r, i) => i === 0 || r.trigger === 'webhook')).toBe(true);
  });

  it('a notification delivered twice changes nothing twice; a lost one is caught up by the next', async () => {
    e.graph.subscriptions.duplicateNext(1);
    const hooksBefore = await rt.quiet();
    const { id: twice, cursor } = await addAndSee('delivered-twice.txt');
    await e.graph.subscriptions.settled();
    const hook = await rt.signedHook('files', 'DriveItem', hooksBefore);
    expect(hook.responseResults).toEqual({ added: 1, updated: 0, deleted: 0 });
    expect((await rt.since('DriveItem', cursor)).filter((r: Body) => r.id === twice)).toHaveLength(1);

    // Graph loses a notification: the change waits in delta and the next notification's run reads it.
    e.graph.subscriptions.loseNext(1);
    const lost = e.graph.addFile(e.graph.rootId, { name: 'lost-notification.txt' });
    await e.graph.subscriptions.settled();
    expect(e.graph.subscriptions.deliveries.at(-1)?.status).toBe(-1);
    const next = await addAndSee('after-the-lost-one.txt');
    await rt.record('DriveItem', next.cursor, String(lost.id), 'ADDED');
  });

  it('a forged clientState and an unknown subscription are refused and recorded, nothing runs; a body over the limit is refused with 413', async () => {
    const [sub] = rt.live();
    const runsBefore = (await rt.runs('files')).length;
    const forged = await rt.post({
      value: [
        {
          subscriptionId: sub?.id,
          clientState: randomBytes(32).toString('base64url'),
          changeType: 'updated',
          resource: 'me/drive/root',
          tenantId: e.identity.tenantId,
        },
      ],
    });
    expect(forged.status).toBe(202);
    const unknown = await rt.post({
      value: [{ subscriptionId: randomUUID(), clientState: sub?.clientState, changeType: 'updated', resource: 'x' }],
    });
    expect(unknown.status).toBe(202);
    const refused = await eventually(
      async () => {
        const rows = (await rt.inbox()).filter((r) => r.status === 'refused');
        return rows.length >= 2 ? rows : undefined;
      },
      30_000,
      'both refused',
    );
    expect(refused.map((r) => r.outcome.reason).join('\n')).toMatch(/wrong clientState/);
    expect(refused.map((r) => r.outcome.reason).join('\n')).toMatch(/does not know/);
    expect((await rt.runs('files')).length).toBe(runsBefore);

    const tooLarge = await rt.post({ value: [{ subscriptionId: 'x', padding: 'x'.repeat(70_000) }] });
    expect(tooLarge.status).toBe(413);
    const notGraph = await rt.post({ hello: 'world' });
    expect(notGraph.status).toBe(400);
  });

  it('renewal before expiry (the scheduled job), reauthorizationRequired → renewed, subscriptionRemoved → recreated with a new handshake and clientState', async () => {
    const [before] = await rt.rows();
    const sub = rt.live()[0];
    // The job renews what is past half-life; `withinSeconds` brings this one's turn forward.
    expect(await e.h.subscriptions.renewDue({ withinSeconds: 30 * 86_400 })).toBe(1);
    const [renewed] = await rt.rows();
    expect(renewed?.renewals).toBe((before?.renewals ?? 0) + 1);
    expect(renewed?.subscription_id).toBe(sub?.id);
    expect(e.graph.requests.some((r) => r.method === 'PATCH' && r.url === `/v1.0/subscriptions/${sub?.id}`)).toBe(true);

    e.graph.subscriptions.lifecycle(String(sub?.id), 'reauthorizationRequired');
    await eventually(
      async () => ((await rt.rows())[0]?.renewals ?? 0) > (renewed?.renewals ?? 0),
      30_000,
      'the renewal after reauthorizationRequired',
    );
    expect(e.graph.subscriptions.all().find((s) => s.id === sub?.id)?.needsReauthorization).toBe(false);

    const handshakes = e.graph.subscriptions.handshakes.length;
    e.graph.subscriptions.lifecycle(String(sub?.id), 'subscriptionRemoved');
    const replacement = await eventually(
      async () => rt.live().find((s) => s.id !== sub?.id),
      30_000,
      'a new subscription',
    );
    expect(replacement.clientState).not.toBe(sub?.clientState);
    expect(e.graph.subscriptions.handshakes.length).toBeGreaterThan(handshakes);
    expect((await rt.rows())[0]?.subscription_id).toBe(replacement.id);
    // The new subscription delivers; the old id is now unknown.
    await addAndSee('after-recreate.txt');
    const stale = await rt.post({
      value: [{ subscriptionId: sub?.id, clientState: sub?.clientState, changeType: 'updated', resource: 'x' }],
    });
    expect(stale.status).toBe(202);
    await eventually(
      async () =>
        (await rt.inbox()).some(
          (r) =>
            r.status === 'refused' && r.payload.subscriptionId === sub?.id && /does not know/.test(r.outcome.reason),
        ),
      30_000,
      'the stale subscription refused',
    );
  });

  it('deleting the connection deletes its subscription at Graph', async () => {
    const [sub] = rt.live();
    const rowId = await rt.connectionRowId();
    const res = await e.h.api(`/connection/${e.connectionId}?provider_config_key=${KEY}`, { method: 'DELETE' });
    expect(res.status).toBeLessThan(300);
    expect(rt.live()).toEqual([]);
    expect(e.graph.requests.some((r) => r.method === 'DELETE' && r.url === `/v1.0/subscriptions/${sub?.id}`)).toBe(
      true,
    );
    expect(await e.h.subscriptions.ofConnection(rowId)).toEqual([]);
    expect(e.h.backgroundErrors).toEqual([]);
  });
});
