import { verifyWebhook } from '@weft/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MicrosoftGraphFake } from '../fakes/microsoft-graph.js';
import type { MicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import type { ApiHarness, Body } from '../helpers/api-harness.js';
import { eventually, runsOf } from '../scheduler/helpers.js';
import { type MicrosoftE2E, startMicrosoftE2E } from './microsoft-e2e.js';

let e: MicrosoftE2E;
let h: ApiHarness;
let identity: MicrosoftIdentityFake;
let graph: MicrosoftGraphFake;
let hooks: MicrosoftE2E['hooks'];
let connectionId = '';

const headers = () => e.headers();
const allRecords = (model: string, cursor?: string) => e.allRecords(model, cursor);
const successfulRuns = () => e.successfulRuns('files');

/** The live (not deleted) files are exactly those of the OneDrive and every site library. */
async function expectLiveFilesToMatchDrives(): Promise<void> {
  const live = (await allRecords('DriveFile')).records.filter((r) => r._nango_metadata.deleted_at === null);
  expect(live.map((r) => r.id).sort()).toEqual(
    [...graph.allItems(), ...graph.siteFiles()].map((i) => String(i.id)).sort(),
  );
}

beforeAll(async () => {
  e = await startMicrosoftE2E({
    key: 'one-drive',
    tenant: 'organizations',
    seed: { seed: 11, files: 80, folderDepth: 1, foldersPerFolder: 2, largeFiles: 0, sites: 2, filesPerSite: 45 },
    graph: { sharepointRest: true }, // the tenant's SharePoint REST API on its own loopback host
  });
  ({ h, identity, graph, hooks, connectionId } = e);
}, 120_000);

afterAll(async () => {
  await e.close();
});

describe('OneDrive for Business / SharePoint end to end', () => {
  let cursor: string | undefined;

  it('connecting with Sites.Read.All also stores a SharePoint token (sealed at rest)', async () => {
    const record = await h.auth.findConnectionRecord({
      environmentId: h.environmentId,
      providerConfigKey: 'one-drive',
      connectionId,
    });
    const sharepointHost = new URL(String(graph.listSites()[0]?.webUrl)).host;
    expect(record.connectionConfig.sharepointHost).toBe(sharepointHost);
    const token = String(record.connectionConfig.sharepointAccessToken);
    expect(identity.verifyAccessToken(token)).toMatchObject({ aud: `https://${sharepointHost}` });
    const { rows } = await h.db.pool.query<{ raw: string }>(
      `SELECT connection_config::text AS raw FROM connections WHERE connection_id = $1`,
      [connectionId],
    );
    expect(rows[0]?.raw).not.toContain(token);
  });

  it('connect → deploy → scheduled run → every drive and every file of OneDrive and both site libraries → webhook', async () => {
    await eventually(async () => (await successfulRuns()) >= 1, 60_000, 'the first scheduled run');
    const drives = (await allRecords('Drive')).records;
    const sites = graph.listSites();
    expect(drives.map((d) => d.driveType).sort()).toEqual(['business', 'documentLibrary', 'documentLibrary']);
    expect(drives.filter((d) => d.siteId !== null).map((d) => d.siteName)).toEqual(
      expect.arrayContaining(sites.map((s) => s.displayName)),
    );
    const expected = [...graph.allItems(), ...graph.siteFiles()].map((i) => String(i.id)).sort();
    const { records, last } = await allRecords('DriveFile');
    cursor = last;
    expect(records.map((r) => r.id).sort()).toEqual(expected);
    const siteFile = graph.siteFiles(String(sites[1]?.id))[0] as Body;
    expect(records.find((r) => r.id === siteFile.id)).toMatchObject({
      name: siteFile.name,
      size: siteFile.size,
      siteId: sites[1]?.id,
      driveId: siteFile.parentReference.driveId,
      isFolder: false,
    });
    const secret = (await h.get('/webhooks/settings')).secret as string;
    const first = await eventually(
      async () => hooks.find((hook) => JSON.parse(hook.body).type === 'sync' && JSON.parse(hook.body).success === true),
      20_000,
      'the sync webhook',
    );
    expect(verifyWebhook(first.body, first.headers, secret)).toBe(true);
    // Sites came from SharePoint's search API, called with the SharePoint token (never Graph's).
    expect(graph.sharepointRequests.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(
      graph.sharepointRequests.every(
        (r) => r.audience === `https://${new URL(graph.listSites()[0]?.webUrl as string).host}`,
      ),
    ).toBe(true);
    expect(graph.requests.some((r) => r.url.startsWith('/v1.0/sites?'))).toBe(false);
    expect(JSON.parse(first.body)).toMatchObject({
      syncName: 'files',
      connectionId,
      models: {
        Drive: { added: 3, updated: 0, deleted: 0 },
        DriveFile: { added: expected.length, updated: 0, deleted: 0 },
      },
    });
  });

  it('add, rename and delete in a SharePoint library → the next run reports exactly those; the cursor shows exactly them', async () => {
    const [siteA, siteB] = graph.listSites();
    const before = await successfulRuns();
    const added = graph.addSiteFile(String(siteA?.id), 'Quarterly plan.docx', 4096);
    const renamed = graph.siteFiles(String(siteB?.id))[2] as Body;
    graph.renameSiteFile(String(renamed.id), 'Renamed minutes.docx');
    const removed = graph.siteFiles(String(siteA?.id))[4] as Body;
    graph.deleteSiteFile(String(removed.id));
    await eventually(async () => (await successfulRuns()) > before, 60_000, 'the next scheduled run');
    const latest = await h.get('/sync/status?provider_config_key=one-drive&syncs=files');
    expect(latest.syncs[0].latestResult.DriveFile).toEqual({ added: 1, updated: 1, deleted: 1 });
    const { records } = await allRecords('DriveFile', cursor);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`ADDED:${added.id}`, `UPDATED:${renamed.id}`, `DELETED:${removed.id}`].sort(),
    );
    expect(records.find((r) => r.id === renamed.id)?.name).toBe('Renamed minutes.docx');
    // Incremental: the later runs read only the delta of each drive, never a full listing again.
    const deltaCalls = graph.requests.filter((r) => /\/root\/delta/.test(r.url));
    expect(deltaCalls.filter((r) => !/token=/.test(r.url)).length).toBe(3); // one initial enumeration per drive
  });

  it('a 429 storm slows the run down and it still completes with nothing lost', async () => {
    const [site] = graph.listSites();
    const before = await successfulRuns();
    const added = graph.addSiteFile(String(site?.id), 'after-storm.xlsx');
    graph.throttleNext(3, 1);
    await eventually(async () => (await successfulRuns()) > before, 60_000, 'a run through the storm');
    const { records } = await allRecords('DriveFile');
    expect(records.some((r) => r.id === added.id)).toBe(true);
    expect(graph.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('the list-drives action returns the same drives', async () => {
    const response = await h.api('/action/trigger', {
      method: 'POST',
      headers: headers(),
      json: { action_name: 'list-drives', input: {} },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Body;
    const synced = (await allRecords('Drive')).records.map((d) => d.id).sort();
    expect(body.drives.map((d: Body) => d.id).sort()).toEqual(synced);
  });

  it('a SharePoint token that stopped working is renewed by one refresh, and the run succeeds', async () => {
    // Replace the stored SharePoint token with one SharePoint rejects (Graph's audience).
    const ref = { environmentId: h.environmentId, providerConfigKey: 'one-drive', connectionId };
    const record = await h.auth.findConnectionRecord(ref);
    const graphToken = record.credentials.type === 'OAUTH2' ? record.credentials.access_token : '';
    await h.db.pool.query(
      `UPDATE connections SET connection_config = connection_config || jsonb_build_object('sharepointAccessToken', $2::text)
       WHERE connection_id = $1`,
      [connectionId, graphToken],
    );
    const seenBefore = graph.sharepointRequests.length;
    const refreshesBefore = identity.tokenRequests.refresh_token ?? 0;
    // The proxy caches credentials briefly; a full resync re-reads them and lists the drives again.
    await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'one-drive', syncs: ['files'], sync_mode: 'full_refresh' },
    });
    const rejected = await eventually(
      async () => {
        const index = graph.sharepointRequests.findIndex((r, i) => i >= seenBefore && r.status === 401);
        return index >= 0 ? index + 1 : undefined; // +1: 0 would read as "not yet"
      },
      60_000,
      'SharePoint rejecting the stale token',
    );
    // After the refresh the proxy retries with the renewed token, and SharePoint accepts it.
    await eventually(
      async () => graph.sharepointRequests.slice(rejected).some((r) => r.status === 200),
      60_000,
      'SharePoint accepting the renewed token',
    );
    expect((await h.auth.findConnectionRecord(ref)).connectionConfig.sharepointAccessToken).not.toBe(graphToken);
    expect((identity.tokenRequests.refresh_token ?? 0) - refreshesBefore).toBeGreaterThanOrEqual(1);
    expect(graph.requests.some((r) => r.url.startsWith('/v1.0/sites?search='))).toBe(false);
  });

  it('when SharePoint refuses search, the sync falls back to Graph site search and still finds every library', async () => {
    graph.sharepointDenies(403);
    try {
      const before = (await runsOf(h.db.pool, 'files')).length;
      await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'one-drive', syncs: ['files'] } });
      const run = await eventually(
        async () => {
          const runs = await runsOf(h.db.pool, 'files');
          return runs
            .slice(before)
            .find((r) => r.status === 'success' && graph.requests.some((g) => g.url.startsWith('/v1.0/sites?search=')));
        },
        60_000,
        'a run with the Graph fallback',
      );
      expect(run.status).toBe('success');
      const drives = (await allRecords('Drive')).records.filter((d) => d._nango_metadata.deleted_at === null);
      expect(drives).toHaveLength(3);
      const logged = await h.get(`/logs?connection_id=${connectionId}&type=sync&limit=20`);
      expect(JSON.stringify(logged.operations.map((o: Body) => o.messages))).toContain(
        'SharePoint search unavailable (403)',
      );
    } finally {
      graph.sharepointDenies(null);
    }
  });

  it('a site that site search misses (it still exists) keeps its files: nothing is deleted, nothing re-read', async () => {
    const [siteA] = graph.listSites();
    const { last } = await allRecords('DriveFile');
    const before = await successfulRuns();
    const seen = graph.requests.length;
    graph.sharepointDenies(403);
    graph.graphSearchMisses(String(siteA?.id));
    try {
      await eventually(async () => (await successfulRuns()) > before + 1, 45_000, 'two runs that miss the site');
    } finally {
      graph.sharepointDenies(null);
      graph.graphSearchMisses(String(siteA?.id), false);
    }
    const { records } = await allRecords('DriveFile', last);
    expect(records).toEqual([]);
    await expectLiveFilesToMatchDrives();
    // Graph was asked whether the unlisted drive still exists; no drive was enumerated again.
    const driveId = String((graph.siteFiles(String(siteA?.id))[0] as Body).parentReference.driveId);
    expect(graph.requests.some((r) => r.url.startsWith(`/v1.0/drives/${encodeURIComponent(driveId)}?`))).toBe(true);
    const deltaCalls = graph.requests.slice(seen).filter((r) => /\/root\/delta/.test(r.url));
    expect(deltaCalls.length).toBeGreaterThan(0);
    expect(deltaCalls.filter((r) => !/token=/.test(r.url))).toEqual([]);
  });

  it('Graph expires the delta links (410) → the run reads every drive again and tombstones the files deleted meanwhile', async () => {
    const { last } = await allRecords('DriveFile');
    const [siteA] = graph.listSites();
    const victim = graph.siteFiles(String(siteA?.id))[6] as Body;
    const ownVictim = graph.allItems().filter((i) => i.file !== undefined)[2] as Body;
    // Deleted, then every token expires: no delta round will ever report these deletions.
    graph.deleteSiteFile(String(victim.id));
    graph.deleteItem(String(ownVictim.id));
    graph.invalidateDeltaTokens();
    await eventually(
      async () => {
        const { records } = await allRecords('DriveFile', last);
        return records.filter((r) => r._nango_metadata.deleted_at !== null).length >= 2;
      },
      45_000,
      'a run that reads every drive again',
    );
    expect(graph.requests.some((r) => r.status === 410)).toBe(true);
    const { records } = await allRecords('DriveFile', last);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      [`DELETED:${victim.id}`, `DELETED:${ownVictim.id}`].sort(),
    );
    await expectLiveFilesToMatchDrives();
    // A run's log lines are stored when it ends, and its records are readable before that.
    await eventually(
      async () =>
        JSON.stringify(
          (await h.get(`/logs?connection_id=${connectionId}&type=sync&limit=50`)).operations.map(
            (o: Body) => o.messages,
          ),
        ).includes('expired (410)'),
      45_000,
      'the run that found the expired delta links logged it',
    );
  });

  it('a SharePoint site that disappears takes its Drive and every one of its files with it', async () => {
    const [, siteB] = graph.listSites();
    const { last } = await allRecords('DriveFile');
    const files = graph.siteFiles(String(siteB?.id)).map((f) => String(f.id));
    expect(files.length).toBeGreaterThan(10);
    graph.deleteSite(String(siteB?.id));
    await eventually(
      async () => {
        const { records } = await allRecords('DriveFile', last);
        return records.filter((r) => r._nango_metadata.deleted_at !== null).length >= files.length;
      },
      45_000,
      'a run after the site was deleted',
    );
    const { records } = await allRecords('DriveFile', last);
    expect(records.map((r) => `${r._nango_metadata.last_action}:${r.id}`).sort()).toEqual(
      files.map((id) => `DELETED:${id}`).sort(),
    );
    const drives = (await allRecords('Drive')).records.filter((d) => d._nango_metadata.deleted_at === null);
    expect(drives.map((d) => d.siteId)).not.toContain(siteB?.id);
    expect(drives).toHaveLength(2);
  });
});
