import { createSync } from 'nango';
import * as z from 'zod';
import { DriveItem, type GraphDriveItem, toDriveItem } from '../models.js';

/**
 * Every file and folder of the user's OneDrive through the delta API: the first run enumerates
 * the drive, later runs only fetch what changed since the saved `@odata.deltaLink` (new, changed
 * and deleted items). The checkpoint holds the page to continue from after every page, so an
 * interrupted run (a deploy, a crash, an outage) resumes where it stopped instead of enumerating a
 * large drive again.
 *
 * An enumeration lists only what exists, so it is bounded by a deletion snapshot
 * (`trackDeletesStart/End`): items deleted while there was no delta link (a full resync) are
 * tombstoned at its end. `rebuilding` keeps that snapshot open across interrupted runs. Graph
 * expires old links with `410 Gone` (`resyncChangesApplyDifferences`); the run then enumerates the
 * drive again the same way instead of failing on every run.
 */
const sync = createSync({
  description: 'Files and folders of the OneDrive, kept up to date with the delta API',
  version: '1.1.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/files' }],
  models: { DriveItem },
  // Real time: Weft subscribes to Graph change notifications on the drive. They only say "something
  // changed", so each one makes Weft run this sync at once (incremental: the delta link above).
  webhookSubscriptions: ['me/drive/root'],
  checkpoint: z.object({
    /** Where the next round starts, once a round has completed. */
    deltaLink: z.string().optional(),
    /** The next page of a round that has not completed yet. */
    nextLink: z.string().optional(),
    rebuilding: z.boolean().optional(),
  }),
  exec: async (nango) => {
    const saved = await nango.getCheckpoint();
    let rebuilding = saved?.rebuilding === true;
    const from = saved?.nextLink ?? saved?.deltaLink;
    if (from === undefined) {
      rebuilding = true;
      await nango.trackDeletesStart('DriveItem');
    }
    let deltaLink = await readDelta(nango, from, rebuilding);
    if (deltaLink === undefined) {
      await nango.log('The saved delta link has expired (410): enumerating the drive again');
      rebuilding = true;
      await nango.trackDeletesStart('DriveItem');
      deltaLink = await readDelta(nango, undefined, rebuilding);
    }
    if (deltaLink === undefined) throw new Error('Graph expired a fresh enumeration of the drive');
    if (rebuilding) await nango.trackDeletesEnd('DriveItem');
    await nango.saveCheckpoint({ deltaLink });
  },
});

/**
 * Applies one delta round from `from` (a delta link, a saved next page, or nothing: a fresh
 * enumeration), saving the next page once each page is stored, so a run that stops continues
 * there. Returns the round's new delta link, or undefined when Graph says `from` expired.
 */
async function readDelta(
  nango: NangoSyncLocal,
  from: string | undefined,
  rebuilding: boolean,
): Promise<string | undefined> {
  // Paged by hand rather than with nango.paginate: the checkpoint needs each page's own nextLink.
  let endpoint = from ?? '/v1.0/me/drive/root/delta';
  let params: Record<string, string> = from !== undefined ? {} : { $top: '200' };
  for (;;) {
    let data: DeltaPage;
    try {
      // Absolute links are passed back as the endpoint, as Nango scripts do.
      data = (await nango.get<DeltaPage>({ endpoint, params })).data;
    } catch (error) {
      if (from !== undefined && (error as { response?: { status?: number } }).response?.status === 410)
        return undefined;
      throw error;
    }
    const page = data.value ?? [];
    const removed = page.filter((item) => item.deleted !== undefined);
    const current = page.filter((item) => item.deleted === undefined && item.root === undefined);
    if (current.length > 0) await nango.batchSave(current.map(toDriveItem), 'DriveItem');
    if (removed.length > 0)
      await nango.batchDelete(
        removed.map((item) => ({ id: item.id })),
        'DriveItem',
      );
    const next = data['@odata.nextLink'];
    if (typeof next !== 'string') {
      const deltaLink = data['@odata.deltaLink'];
      if (typeof deltaLink !== 'string') throw new Error('The delta round ended without an @odata.deltaLink');
      return deltaLink;
    }
    await nango.saveCheckpoint({ nextLink: next, ...(rebuilding ? { rebuilding } : {}) });
    endpoint = next;
    params = {};
  }
}

interface DeltaPage {
  value?: GraphDriveItem[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
