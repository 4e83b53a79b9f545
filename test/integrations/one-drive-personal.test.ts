import { verifyWebhook } from '@weft/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrosoftGraphFake } from '../fakes/microsoft-graph.js';
import type { MicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import type { ApiHarness, Body } from '../helpers/api-harness.js';
import { eventually, runsOf } from '../scheduler/helpers.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

let e: MicrosoftE2E | undefined;
let h: ApiHarness;
let identity: MicrosoftIdentityFake;
let graph: MicrosoftGraphFake;
let hooks: MicrosoftE2E['hooks'];
let connectionId = '';
// The identity platform's clock jumps ahead once Graph has served this many requests (token expiry mid-sync).
let expireAfterRequest = Number.POSITIVE_INFINITY;
let skewMs = 0;

const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': 'one-drive-personal' });
const allRecords = (cursor?: string) => (e as MicrosoftE2E).allRecords('DriveItem', cursor);
const successfulRuns = () => (e as MicrosoftE2E).successfulRuns('files');

/** The live (not deleted) records are exactly the drive's items. */
async function expectLiveRecordsToMatchDrive(): Promise<void> {
  const live = (await allRecords()).records.filter((r) => r._nango_metadata.deleted_at === null);
  expect(live.map((r) => r.id).sort()).toEqual(
    graph
      .allItems()
      .map((i) => String(i.id))
      .sort(),
  );
}

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: 'one-drive-personal',
    tenant: 'consumers',
    seed: { seed: 7, files: 250, folderDepth: 2, foldersPerFolder: 3, largeFiles: 0 },
    captureLogs: true,
    now: () => {
      if (e !== undefined && e.graph.requests.length >= expireAfterRequest) {
        skewMs += 2 * 3600_000; // every token issued so far is now expired
        expireAfterRequest = Number.POSITIVE_INFINITY;
      }
      return Date.now() + skewMs;
    },
  });
  ({ h, identity, graph, hooks, connectionId } = e);
}, 120_000);

afterAll(async () => {
  await e?.close();
});

describe('OneDrive Personal end to end', () => {
  let cursor: string | undefined;

  it('connect → deploy → scheduled run → GET /records returns exactly the drive → signed webhook with counts', async () => {
    await eventually(async () => (await successfulRuns()) >= 1, 60_000, 'the first scheduled run');
    const expected = graph.allItems();
    const { records, last } = await allRecords();
    cursor = last;
    expect(records.map((r) => r.id).sort()).toEqual(expected.map((i) => String(i.id)).sort());
    const sample = expected.find((i) => i.file !== undefined) as Body;
    expect(records.find((r) => r.id === sample.id)).toMatchObject({
      name: sample.name,
      size: sample.size,
      isFolder: false,
      mimeType: sample.file.mimeType,
    });
    const secret = (await h.get('/webhooks/settings')).secret as string;
    const first = await eventually(
      async () => hooks.find((hook) => JSON.parse(hook.body).type === 'sync' && JSON.parse(hook.body).success === true),
      20_000,
      'the sync webhook',
    );
    expect(verifyWebhook(first.body, first.headers, secret)).toBe(true);
    expect(JSON.parse(first.body)).toMatchObject({
      type: 'sync',
      syncName: 'files',
      connectionId,
      responseResults: { added: expected.length, updated: 0, deleted: 0 },
    });
  });

  it('add, rename and delete in the drive → the next run reports exactly those changes; the cursor shows exactly them', async () => {
    const files = graph.allItems().filter((i) => i.file !== undefined);
    const renamed = files[3] as Body;
    const removed = files[5] as Body;
    // Change the drive while no run is under way (one reading it meanwhile would report part of it),
    // then the first run after the resume must report exactly these changes.
    const selector = { provider_config_key: 'one-drive-personal', syncs: ['files'] };
    await h.api('/sync/pause', { method: 'POST', json: selector });
    await eventually(
      async () => (await runsOf(h.db.pool, 'files')).every((r) => r.status !== 'running'),
      60_000,
      'the run under way to end',
    );
    const added = graph.addFile(graph.rootId, { name: 'new-report.docx', content: 'hello' });
    graph.renameItem(String(renamed.id), 'renamed.txt');
    graph.deleteItem(String(removed.id));
    const resumedAt = (await h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    await h.api('/sync/start', { method: 'POST', json: selector });
    const next = await eventually(
      async () =>
        (
          await h.db.pool.query<{ status: string; counts: Body }>(
            `SELECT status, counts FROM sync_runs WHERE sync_name = 'files' AND started_at > $1
             AND status NOT IN ('queued', 'running') ORDER BY started_at LIMIT 1`,
            [resumedAt],
          )
        ).rows[0],
      60_000,
      'the next scheduled run',
    );
    expect(next.status).toBe('success');
    expect(next.counts).toEqual({ DriveItem: { added: 1, updated: 1, deleted: 1 } });
    const { records } = await allRecords(cursor);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `UPDATED:${renamed.id}`, `DELETED:${removed.id}`].sort(),
    );
    expect(records.find((r) => r.id === renamed.id)?.name).toBe('renamed.txt');
  });

  it('a 429 storm slows the run down and it still completes with nothing lost', async () => {
    const before = await successfulRuns();
    graph.addFile(graph.rootId, { name: 'after-storm.txt', content: 'x' });
    graph.throttleNext(3, 1);
    await eventually(async () => (await successfulRuns()) > before, 60_000, 'a run through the storm');
    const { records } = await allRecords();
    expect(records.some((r) => r.name === 'after-storm.txt')).toBe(true);
    expect(graph.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('Graph expires the delta link (410) → the next run enumerates the drive again and tombstones what was deleted meanwhile; later runs are incremental again', async () => {
    const { last } = await allRecords();
    const victim = graph.allItems().filter((i) => i.file !== undefined)[7] as Body;
    // Deleted and then the token expires: no delta round will ever report this deletion.
    graph.deleteItem(String(victim.id));
    const added = graph.addFile(graph.rootId, { name: 'after-expiry.txt', content: 'new' });
    graph.invalidateDeltaTokens();
    await eventually(
      async () => {
        const { records } = await allRecords(last);
        return records.some((r) => r.id === victim.id && r._nango_metadata.deleted_at !== null);
      },
      45_000,
      'a run that re-enumerates the drive',
    );
    expect(graph.requests.some((r) => r.status === 410)).toBe(true);
    const { records } = await allRecords(last);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `DELETED:${victim.id}`].sort(),
    );
    await expectLiveRecordsToMatchDrive();

    const seen = graph.requests.length;
    const before = await successfulRuns();
    await eventually(async () => (await successfulRuns()) > before + 1, 45_000, 'two more runs');
    const deltaCalls = graph.requests.slice(seen).filter((r) => r.url.includes('/root/delta'));
    expect(deltaCalls.length).toBeGreaterThan(0);
    for (const call of deltaCalls) {
      expect(call.url).toContain('token=');
      expect(call.status).toBe(200);
    }
  });

  it('an outage in the middle of a full enumeration → the retry continues from the page it stopped at; nothing lost or deleted', async () => {
    const { last } = await allRecords();
    const fresh = (r: { url: string }) => r.url.startsWith('/v1.0/me/drive/root/delta?') && !r.url.includes('token=');
    const seen = graph.requests.length;
    const triggeredAt = (await h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    // Every attempt at the second page fails: the proxy gives up (4 attempts) and the run fails.
    graph.failEnumerationPages(4);
    await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'one-drive-personal', syncs: ['files'], sync_mode: 'full_refresh' },
    });
    const runs = await eventually(
      async () => {
        const { rows } = await h.db.pool.query<{ status: string; attempt: number }>(
          `SELECT status, attempt FROM sync_runs WHERE mode = 'full' AND started_at >= $1 ORDER BY started_at`,
          [triggeredAt],
        );
        return rows.some((r) => r.status === 'success') ? rows : undefined;
      },
      45_000,
      'the full resync and its retry',
    );
    expect(runs.map((r) => `${r.status}:${r.attempt}`)).toEqual(['failed:1', 'success:2']);
    expect(graph.requests.slice(seen).filter((r) => r.status === 503)).toHaveLength(4);
    // One enumeration in all: the retry asked for the page that had failed, not for the first again.
    expect(graph.requests.slice(seen).filter(fresh)).toHaveLength(1);
    const { records } = await allRecords(last);
    expect(records).toEqual([]);
    await expectLiveRecordsToMatchDrive();
  });

  it('actions: list-children pages and download-file streams through the pre-authenticated redirect', async () => {
    const listed = await h.api('/action/trigger', {
      method: 'POST',
      headers: headers(),
      json: { action_name: 'list-children', input: { pageSize: 2 } },
    });
    const body = (await listed.json()) as Body;
    expect(body.items).toHaveLength(2);
    expect(typeof body.next_cursor).toBe('string');
    const file = graph.allItems().find((i) => i.file !== undefined && Number(i.size) < 100_000) as Body;
    const downloaded = (await (
      await h.api('/action/trigger', {
        method: 'POST',
        headers: headers(),
        json: { action_name: 'download-file', input: { id: file.id } },
      })
    ).json()) as Body;
    expect(Buffer.from(downloaded.base64, 'base64').equals(graph.fileContent(String(file.id)))).toBe(true);
  });

  it('the access token expires in the middle of a sync → one refresh, the run succeeds with every record', async () => {
    const refreshesBefore = identity.tokenRequests.refresh_token ?? 0;
    const triggeredAt = (await h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    // A full resync pages through the whole drive; the token dies after its second Graph call.
    expireAfterRequest = graph.requests.length + 2;
    await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'one-drive-personal', syncs: ['files'], sync_mode: 'full_refresh' },
    });
    const run = await eventually(
      async () =>
        (
          await h.db.pool.query<{ status: string; error: Body }>(
            // started_at, not created_at: the trigger may join (and upgrade to full) a scheduled run queued just before it.
            `SELECT status, error FROM sync_runs WHERE mode = 'full' AND started_at >= $1 AND status NOT IN ('queued', 'running')`,
            [triggeredAt],
          )
        ).rows[0],
      60_000,
      'the full resync',
    );
    expect(run.error).toBeNull();
    expect(run.status).toBe('success');
    expect(skewMs).toBeGreaterThan(0); // the clock did jump
    expect(graph.requests.some((r) => r.status === 401)).toBe(true);
    expect((identity.tokenRequests.refresh_token ?? 0) - refreshesBefore).toBe(1);
    await expectLiveRecordsToMatchDrive();
  });

  it('a revoked refresh token → the run fails with needs_reauth, an auth event is sent, no record is deleted', async () => {
    const recordsBefore = await allRecords();
    const liveBefore = recordsBefore.records.filter((r) => r._nango_metadata.deleted_at === null).length;
    const revokedAt = (await h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
    identity.revokeAll('app');
    skewMs += 2 * 3600_000; // the current access token expires too
    const failed = await eventually(
      async () =>
        (
          await h.db.pool.query<{ error: Body }>(
            `SELECT error FROM sync_runs WHERE status = 'failed' AND sync_name = 'files' AND created_at >= $1
             ORDER BY created_at DESC LIMIT 1`,
            [revokedAt],
          )
        ).rows[0],
      60_000,
      'a failed run',
    );
    expect(failed.error.code).toBe('WEFT_AUTH_NEEDS_REAUTH');
    expect(failed.error.retryable).toBe(false);
    const connection = await h.get(`/connections/${connectionId}/status?provider_config_key=one-drive-personal`);
    expect(connection.auth.state).toBe('needs_reauth');
    const authEvent = await eventually(
      async () =>
        hooks
          .map((hook) => JSON.parse(hook.body) as Body)
          .find((body) => body.type === 'auth' && body.operation === 'refresh' && body.success === false),
      20_000,
      'the auth webhook',
    );
    expect(authEvent).toMatchObject({ connectionId, providerConfigKey: 'one-drive-personal' });
    const after = await allRecords();
    expect(after.records.filter((r) => r._nango_metadata.deleted_at === null)).toHaveLength(liveBefore);
    expect(after.records.filter((r) => r._nango_metadata.last_action === 'DELETED')).toHaveLength(
      recordsBefore.records.filter((r) => r._nango_metadata.last_action === 'DELETED').length,
    );
  });

  it('no token, client secret or webhook secret appears in logs, webhooks, the operation log, status or the dashboard', async () => {
    const secrets = [
      (e as MicrosoftE2E).clientSecret,
      (await h.get('/webhooks/settings')).secret as string,
      h.secretKey,
      ...identity.issued.flatMap((t) => [t.accessToken, t.refreshToken ?? '', t.idToken ?? '']).filter(Boolean),
    ];
    expect(secrets.length).toBeGreaterThan(5);
    const everything = [
      h.logs.join('\n'),
      JSON.stringify(hooks),
      JSON.stringify(await h.get(`/logs?connection_id=${connectionId}&limit=1000`)),
      JSON.stringify(await h.get(`/connections/${connectionId}/status?provider_config_key=one-drive-personal`)),
      JSON.stringify(await h.get('/connections?provider_config_key=one-drive-personal')),
      JSON.stringify(await h.get('/integrations/one-drive-personal')),
      JSON.stringify(await h.get('/sync/runs?provider_config_key=one-drive-personal&sync_name=files')),
      await (await fetch(`${h.url}/dashboard`)).text(),
    ].join('\n');
    expect(h.logs.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
