import { createSync } from 'nango';
import * as z from 'zod';
import { DriveItem, type GraphDriveItem, toDriveItem } from '../models.js';

/**
 * Every file and folder of the user's OneDrive through the delta API: the first run enumerates
 * the drive, later runs only fetch what changed since the saved `@odata.deltaLink` (new, changed
 * and deleted items). The delta link is checkpointed page by page, so an interrupted run resumes.
 */
const sync = createSync({
  description: 'Files and folders of the OneDrive, kept up to date with the delta API',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/files' }],
  models: { DriveItem },
  checkpoint: z.object({ deltaLink: z.string() }),
  exec: async (nango) => {
    const checkpoint = await nango.getCheckpoint();
    let deltaLink: string | undefined;
    for await (const page of nango.paginate<GraphDriveItem>({
      // An absolute deltaLink is passed back as the endpoint, as Nango scripts do.
      endpoint: checkpoint?.deltaLink ?? '/v1.0/me/drive/root/delta',
      params: checkpoint?.deltaLink ? {} : { $top: '200' },
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
    if (deltaLink !== undefined) await nango.saveCheckpoint({ deltaLink });
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
