import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../helpers/api-harness.js';
import { eventually } from '../scheduler/helpers.js';
import { realtime } from './graph-realtime.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

const KEY = 'outlook';
let e: MicrosoftE2E;
let rt: ReturnType<typeof realtime>;

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: KEY,
    tenant: 'common',
    seed: { seed: 23, files: 0, largeFiles: 0, messages: 25, events: 6, notebooks: 0 },
    // Syncs run once a day: every change below reaches Weft through Graph's notifications.
    notifications: true,
    scheduler: { timeScale: 96, tickMs: 50, concurrency: 2 },
  });
  rt = realtime(e, KEY);
  await rt.firstRun('messages');
  await rt.firstRun('events');
}, 120_000);

afterAll(async () => {
  await e?.close();
});

const subscriptionOf = (resource: string) => rt.live().find((s) => s.resource === resource);

describe('Outlook in real time (Graph change notifications with resource data)', () => {
  it('deploy → one subscription per sync, validated; a new message and a new event → records and signed webhooks, handled by onWebhook, no scheduled run', async () => {
    expect(
      rt
        .live()
        .map((s) => `${s.resource}:${s.changeType.join(',')}:${s.immutableIds}`)
        .sort(),
    ).toEqual(['me/events:created,updated,deleted:true', 'me/messages:created,updated,deleted:true']);
    // Outlook messages and events: at most 10,080 minutes.
    for (const sub of rt.live()) expect(sub.expiresAt).toBeLessThanOrEqual(Date.now() + 10_080 * 60_000);

    const hooksBefore = await rt.quiet();
    const messageCursor = await rt.cursor('OutlookMessage');
    const message = e.graph.addMessage({ subject: 'Live numbers', from: 'adele@contoso.com' });
    const saved = await rt.record('OutlookMessage', messageCursor, String(message.id), 'ADDED');
    expect(saved).toMatchObject({ subject: 'Live numbers', folderName: 'Inbox' });
    const hook = await rt.signedHook('messages', 'OutlookMessage', hooksBefore);
    expect(hook.responseResults).toEqual({ added: 1, updated: 0, deleted: 0 });

    const eventCursor = await rt.cursor('OutlookEvent');
    const event = e.graph.addEvent({ subject: 'Standup' });
    expect(await rt.record('OutlookEvent', eventCursor, String(event.id), 'ADDED')).toMatchObject({
      subject: 'Standup',
    });
    await rt.signedHook('events', 'OutlookEvent', hooksBefore);

    for (const sync of ['messages', 'events']) {
      const runs = await rt.runs(sync);
      expect(runs[0]?.trigger).toBe('manual');
      expect(runs.slice(1).every((r) => r.trigger === 'webhook')).toBe(true);
    }
    // Each named change ran the sync's onWebhook (one handler run), not a delta run of the mailbox.
    const inbox = await rt.inbox();
    for (const id of [message.id, event.id]) {
      const row = inbox.find((r) => r.payload.resourceData?.id === id);
      expect(row).toMatchObject({ status: 'processed', outcome: { router: 'microsoft-graph', action: 'handler' } });
      expect(row?.outcome.runs).toHaveLength(1);
      expect(row?.outcome.runs[0].status).toBe('success');
    }
  });

  it('updated and deleted messages and events follow; a notification delivered twice is processed once', async () => {
    const cursor = await rt.cursor('OutlookMessage');
    const [first, second] = e.graph.listMessages('inbox');
    e.graph.subscriptions.duplicateNext(1);
    e.graph.updateMessage(String(first?.id), { subject: 'Edited live' });
    await e.graph.subscriptions.settled();
    e.graph.deleteMessage(String(second?.id));
    await rt.record('OutlookMessage', cursor, String(second?.id), 'DELETED');
    const updated = await rt.record('OutlookMessage', cursor, String(first?.id), 'UPDATED');
    expect(updated.subject).toBe('Edited live');
    // The second delivery of the update found its dedupe key: one stored notification, one handler run.
    const stored = (await rt.inbox()).filter(
      (r) => r.payload.resourceData?.id === first?.id && r.payload.changeType === 'updated',
    );
    expect(stored).toHaveLength(1);

    const eventCursor = await rt.cursor('OutlookEvent');
    const [ev1, ev2] = e.graph.listEvents();
    e.graph.updateEvent(String(ev1?.id), { subject: 'Moved standup' });
    e.graph.deleteEvent(String(ev2?.id));
    await rt.record('OutlookEvent', eventCursor, String(ev2?.id), 'DELETED');
    expect((await rt.record('OutlookEvent', eventCursor, String(ev1?.id), 'UPDATED')).subject).toBe('Moved standup');
  });

  it('missed → an incremental delta run catches up what Graph could not deliver', async () => {
    const cursor = await rt.cursor('OutlookMessage');
    e.graph.subscriptions.loseNext(1);
    const lost = e.graph.addMessage({ subject: 'Never announced' });
    await e.graph.subscriptions.settled();
    const runsBefore = (await rt.runs('messages')).length;
    e.graph.subscriptions.lifecycle(String(subscriptionOf('me/messages')?.id), 'missed');
    expect((await rt.record('OutlookMessage', cursor, String(lost.id), 'ADDED')).subject).toBe('Never announced');
    const runs = await rt.runs('messages');
    expect(runs.length).toBeGreaterThan(runsBefore);
    expect(runs.at(-1)?.trigger).toBe('webhook');
  });

  it('subscriptionRemoved → recreated, and what changed meanwhile is caught up', async () => {
    const old = subscriptionOf('me/events');
    const cursor = await rt.cursor('OutlookEvent');
    e.graph.subscriptions.lifecycle(String(old?.id), 'subscriptionRemoved');
    const meanwhile = e.graph.addEvent({ subject: 'While unsubscribed' });
    await rt.record('OutlookEvent', cursor, String(meanwhile.id), 'ADDED');
    const replacement = await eventually(
      async () => rt.live().find((s) => s.resource === 'me/events' && s.id !== old?.id),
      30_000,
      'the new events subscription',
    );
    expect(replacement.clientState).not.toBe(old?.clientState);
    const after = e.graph.addEvent({ subject: 'After recreation' });
    await rt.record('OutlookEvent', cursor, String(after.id), 'ADDED');
    expect(e.h.backgroundErrors).toEqual([]);
    const records = (await rt.since('OutlookEvent', cursor)) as Body[];
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
  });
});
