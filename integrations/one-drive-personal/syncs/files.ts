import { createSync } from 'nango';
import * as z from 'zod';
import { DriveItem, type GraphDriveItem, toDriveItem } from '../models.js';

/**
 * Every file and folder of the user's OneDrive through the delta API: the first run enumerates
 * the drive, later runs only fetch what changed since the saved `@odata.deltaLink` (new, changed
 * and deleted items).
 *
 * An enumeration lists only what exists, so it is bounded by a deletion snapshot
 * (`trackDeletesStart/End`): items deleted while there was no delta link (a full resync) are
 * tombstoned at its end. Graph expires old delta links with `410 Gone`
 * (`resyncChangesApplyDifferences`); the run then enumerates the drive again the same way instead
 * of failing on every run.
 */
const sync = createSync({
  description: 'Files and folders of the OneDrive, kept up to date with the delta API',
  version: '1.1.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/files' }],
  models: { DriveItem },
  checkpoint: z.object({ deltaLink: z.string() }),
  exec: async (nango) => {
    const saved = (await nango.getCheckpoint())?.deltaLink;
    let deltaLink = saved === undefined ? undefined : await readDelta(nango, saved);
    if (deltaLink === undefined) {
      if (saved !== undefined) await nango.log('The saved delta link has expired (410): enumerating the drive again');
      await nango.trackDeletesStart('DriveItem');
      deltaLink = await readDelta(nango, undefined);
      await nango.trackDeletesEnd('DriveItem');
    }
    if (deltaLink !== undefined) await nango.saveCheckpoint({ deltaLink });
  },
});

/** Applies one delta round; returns its new delta link, or undefined when Graph says the link expired. */
async function readDelta(nango: NangoSyncLocal, from: string | undefined): Promise<string | undefined> {
  let deltaLink: string | undefined;
  try {
    for await (const page of nango.paginate<GraphDriveItem>({
      // An absolute deltaLink is passed back as the endpoint, as Nango scripts do.
      endpoint: from ?? '/v1.0/me/drive/root/delta',
      params: from !== undefined ? {} : { $top: '200' },
      paginate: {
        type: 'link',
        link_path_in_response_body: '@odata.nextLink',
        response_path: 'value',
        on_page: async ({ response }) => {
          const link = (response.data as Record<string, unknown>)['@odata.deltaLink'];
          if (typeof link === 'string') deltaLink = link;
        },
      },
    })) {
      const removed = page.filter((item) => item.deleted !== undefined);
      const current = page.filter((item) => item.deleted === undefined && item.root === undefined);
      if (current.length > 0) await nango.batchSave(current.map(toDriveItem), 'DriveItem');
      if (removed.length > 0)
        await nango.batchDelete(
          removed.map((item) => ({ id: item.id })),
          'DriveItem',
        );
    }
  } catch (error) {
    if (from !== undefined && (error as { response?: { status?: number } }).response?.status === 410) return undefined;
    throw error;
  }
  if (deltaLink === undefined) throw new Error('The delta enumeration ended without an @odata.deltaLink');
  return deltaLink;
}

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
