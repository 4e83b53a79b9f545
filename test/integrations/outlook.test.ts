import { connectionRowId } from '@weft/db';
import { createRecordStore } from '@weft/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../helpers/api-harness.js';
import { eventually } from '../scheduler/helpers.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

let e: MicrosoftE2E;

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: 'outlook',
    tenant: 'common',
    seed: { seed: 5, files: 0, largeFiles: 0, messages: 140, events: 24, notebooks: 0 },
  });
}, 120_000);
afterAll(async () => {
  await e.close();
});

const ids = (list: Body[]) => list.map((r) => String(r.id)).sort();
const live = (records: Body[]) => records.filter((r) => r._nango_metadata.deleted_at === null);

describe('Outlook end to end', () => {
  let messageCursor: string | undefined;
  let eventCursor: string | undefined;

  it('connect → deploy → scheduled runs → every message of every folder and every event → signed webhooks', async () => {
    await e.nextRun('messages');
    await e.nextRun('events');
    const messages = await e.allRecords('OutlookMessage');
    messageCursor = messages.last;
    expect(ids(messages.records)).toEqual(ids(e.graph.listMessages()));
    const sample = e.graph.listMessages('sentitems')[0] as Body;
    expect(messages.records.find((r) => r.id === sample.id)).toMatchObject({
      subject: sample.subject,
      folderId: e.graph.mailFolderId('sentitems'),
      folderName: 'Sent Items',
      isRead: sample.isRead,
      from: { address: sample.from.emailAddress.address },
    });
    const events = await e.allRecords('OutlookEvent');
    eventCursor = events.last;
    expect(ids(events.records)).toEqual(ids(e.graph.listEvents()));
    const hook = await e.signedSyncWebhook('messages');
    expect(hook).toMatchObject({
      connectionId: e.connectionId,
      model: 'OutlookMessage',
      responseResults: { added: e.graph.listMessages().length, updated: 0, deleted: 0 },
    });
    // Later runs read only each folder's delta: one initial enumeration per folder in total.
    const initial = e.graph.requests.filter(
      (r) => r.url.includes('/messages/delta') && !/\$skiptoken|\$deltatoken/.test(r.url),
    );
    expect(initial.length).toBe(5);
  });

  it('a new, a read and a deleted message → the next run reports exactly those; the cursor shows exactly them', async () => {
    const inbox = e.graph.listMessages('inbox');
    const added = e.graph.addMessage({ subject: 'Quarterly numbers', from: 'adele@contoso.com' });
    const read = inbox.find((m) => m.isRead === false) as Body;
    e.graph.updateMessage(String(read.id), { isRead: true });
    const removed = inbox[3] as Body;
    e.graph.deleteMessage(String(removed.id));
    await e.nextRun('messages');
    const { records, last } = await e.allRecords('OutlookMessage', messageCursor);
    messageCursor = last;
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `UPDATED:${read.id}`, `DELETED:${removed.id}`].sort(),
    );
    expect(records.find((r) => r.id === read.id)?.isRead).toBe(true);
    expect(ids(live((await e.allRecords('OutlookMessage')).records))).toEqual(ids(e.graph.listMessages()));
  });

  it('messages moved between folders keep their ids and are updated, never deleted; a deletion beside them still is one', async () => {
    // Archive is read before Inbox, so one move is seen in its new folder first and the other in
    // its old folder first: both orders must end as an update.
    const toArchive = e.graph.listMessages('inbox')[0] as Body;
    const toInbox = e.graph.listMessages('archive')[0] as Body;
    const removed = e.graph.listMessages('inbox')[1] as Body;
    e.graph.moveMessage(String(toArchive.id), 'archive');
    e.graph.moveMessage(String(toInbox.id), 'inbox');
    e.graph.deleteMessage(String(removed.id));
    await e.nextRun('messages');
    const { records } = await e.allRecords('OutlookMessage', messageCursor);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`UPDATED:${toArchive.id}`, `UPDATED:${toInbox.id}`, `DELETED:${removed.id}`].sort(),
    );
    expect(records.find((r) => r.id === toArchive.id)).toMatchObject({
      folderId: e.graph.mailFolderId('archive'),
      subject: toArchive.subject,
    });
    expect(records.find((r) => r.id === toInbox.id)).toMatchObject({ folderId: e.graph.mailFolderId('inbox') });
    expect(ids(live((await e.allRecords('OutlookMessage')).records))).toEqual(ids(e.graph.listMessages()));
  });

  it('a new, a renamed and a cancelled-and-removed event → exactly those changes', async () => {
    const [first, second] = e.graph.listEvents() as Body[];
    const added = e.graph.addEvent({ subject: 'Design review' });
    e.graph.updateEvent(String(first?.id), { subject: 'Renamed sync' });
    e.graph.deleteEvent(String(second?.id));
    await e.nextRun('events');
    const { records } = await e.allRecords('OutlookEvent', eventCursor);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `UPDATED:${first?.id}`, `DELETED:${second?.id}`].sort(),
    );
  });

  it('a 429 storm slows the messages run down and it still completes with nothing lost', async () => {
    const added = e.graph.addMessage({ subject: 'After the storm' });
    e.graph.throttleNext(3, 1);
    await e.nextRun('messages');
    const { records } = await e.allRecords('OutlookMessage');
    expect(records.some((r) => r.id === added.id)).toBe(true);
    expect(e.graph.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('Graph expires the delta links (410) → the run reads every folder again and tombstones what was deleted meanwhile', async () => {
    const { last } = await e.allRecords('OutlookMessage');
    const victim = e.graph.listMessages('archive')[2] as Body;
    // Deleted, then every token expires: no delta round will ever report this deletion.
    e.graph.deleteMessage(String(victim.id));
    e.graph.invalidateDeltaTokens();
    await e.nextRun('messages');
    expect(e.graph.requests.some((r) => r.status === 410)).toBe(true);
    const { records } = await e.allRecords('OutlookMessage', last);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`)).toEqual([`DELETED:${victim.id}`]);
    expect(ids(live((await e.allRecords('OutlookMessage')).records))).toEqual(ids(e.graph.listMessages()));
    const logged = await e.h.get(`/logs?connection_id=${e.connectionId}&type=sync&limit=50`);
    expect(JSON.stringify(logged.operations.map((o: Body) => o.messages))).toContain('expired (410)');
  });

  it('a checkpoint written by 1.0.0 (default ids) → one rebuild replaces the records that carry default ids', async () => {
    const selector = { provider_config_key: 'outlook', syncs: ['messages'] };
    await e.h.api('/sync/pause', { method: 'POST', json: selector });
    await eventually(
      async () =>
        (
          await e.h.db.pool.query(
            `SELECT 1 FROM sync_runs WHERE sync_name = 'messages' AND status IN ('queued', 'running')`,
          )
        ).rows.length === 0,
      30_000,
      'the paused sync to go idle',
    );
    const { rows } = await e.h.db.pool.query<{ id: string }>(
      `SELECT id FROM connections WHERE connection_id = $1 AND provider_config_key = 'outlook'`,
      [e.connectionId],
    );
    const connection = connectionRowId(rows[0]?.id ?? 0);
    // What 1.0.0 left behind: a checkpoint without idType and a record under a default (REST) id.
    await e.h.db.pool.query(
      `UPDATE sync_checkpoints SET checkpoint = checkpoint - 'idType' WHERE connection_id = $1 AND sync_name = 'messages'`,
      [connection],
    );
    const sample = live((await e.allRecords('OutlookMessage')).records)[0] as Body;
    const { _nango_metadata: _, ...payload } = sample;
    const legacyId = 'AAMkAGI2TG93AAA-default-rest-id';
    await createRecordStore({ pool: e.h.db.pool }).batchSave(
      { environmentId: e.h.environmentId, connectionRowId: connection, model: 'OutlookMessage' },
      [{ ...payload, id: legacyId }],
    );
    const { last } = await e.allRecords('OutlookMessage');
    await e.h.api('/sync/start', { method: 'POST', json: selector });
    await e.h.api('/sync/trigger', { method: 'POST', json: selector });
    await e.nextRun('messages');
    const { records } = await e.allRecords('OutlookMessage', last);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`)).toEqual([`DELETED:${legacyId}`]);
    expect(ids(live((await e.allRecords('OutlookMessage')).records))).toEqual(ids(e.graph.listMessages()));
    const checkpoint = await e.h.db.pool.query<{ checkpoint: Body }>(
      `SELECT checkpoint FROM sync_checkpoints WHERE connection_id = $1 AND sync_name = 'messages'`,
      [connection],
    );
    expect(checkpoint.rows[0]?.checkpoint).toMatchObject({ idType: 'ImmutableId' });
    expect(checkpoint.rows[0]?.checkpoint.rebuilding).toBeUndefined();
  });

  it('an outage in the middle of reading a large folder → the retry continues at the page it stopped at; nothing lost or deleted', async () => {
    const { last } = await e.allRecords('OutlookMessage');
    const firstReads = (r: { url: string }) =>
      r.url.includes('/messages/delta') && !/\$skiptoken|\$deltatoken/.test(r.url);
    const seen = e.graph.requests.length;
    const triggeredAt = (await e.h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    expect(e.graph.listMessages('inbox').length).toBeGreaterThan(50); // more than one page of 50
    // Every attempt at a second page fails: the proxy gives up (4 attempts) and the run fails.
    e.graph.failEnumerationPages(4);
    await e.h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'outlook', syncs: ['messages'], sync_mode: 'full_refresh' },
    });
    const runs = await eventually(
      async () => {
        const { rows } = await e.h.db.pool.query<{ status: string; attempt: number }>(
          `SELECT status, attempt FROM sync_runs
           WHERE sync_name = 'messages' AND mode = 'full' AND started_at >= $1 ORDER BY started_at`,
          [triggeredAt],
        );
        return rows.some((r) => r.status === 'success') ? rows : undefined;
      },
      45_000,
      'the full resync and its retry',
    );
    expect(runs.map((r) => `${r.status}:${r.attempt}`)).toEqual(['failed:1', 'success:2']);
    expect(e.graph.requests.slice(seen).filter((r) => r.status === 503)).toHaveLength(4);
    // Each folder was read from its start once: the retry asked for the page that had failed.
    const folders = (
      await e.h.db.pool.query<{ checkpoint: Body }>(
        `SELECT checkpoint FROM sync_checkpoints WHERE sync_name = 'messages'`,
      )
    ).rows[0]?.checkpoint.deltaLinks as Record<string, string>;
    expect(e.graph.requests.slice(seen).filter(firstReads)).toHaveLength(Object.keys(folders).length);
    const { records } = await e.allRecords('OutlookMessage', last);
    expect(records).toEqual([]);
    expect(ids(live((await e.allRecords('OutlookMessage')).records))).toEqual(ids(e.graph.listMessages()));
  });

  it('send-mail sends through Graph and lands in Sent Items; bad input is refused before any call', async () => {
    const sent = await e.h.api('/action/trigger', {
      method: 'POST',
      headers: e.headers(),
      json: {
        action_name: 'send-mail',
        input: { to: ['adele@contoso.com'], subject: 'Hello from Weft', body: 'It works.' },
      },
    });
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ sent: true });
    expect(e.graph.sentMail).toHaveLength(1);
    expect(e.graph.sentMail[0]?.message).toMatchObject({
      subject: 'Hello from Weft',
      body: { contentType: 'Text', content: 'It works.' },
      toRecipients: [{ emailAddress: { address: 'adele@contoso.com' } }],
    });
    expect(e.graph.listMessages('sentitems').some((m) => m.subject === 'Hello from Weft')).toBe(true);

    const bad = await e.h.api('/action/trigger', {
      method: 'POST',
      headers: e.headers(),
      json: { action_name: 'send-mail', input: { to: ['not-an-email'], subject: '', body: 'x' } },
    });
    expect(bad.status).toBe(400);
    const error = ((await bad.json()) as Body).error;
    expect(error.code).toBe('WEFT_RUNNER_INVALID_INPUT');
    expect(JSON.stringify(error)).toContain('must be an email address');
    expect(e.graph.sentMail).toHaveLength(1);
  });
});
