import { createSync } from 'nango';
import * as z from 'zod';
import { listDrives } from '../list-drives.js';
import { Drive, DriveFile, type GraphDriveItem, toDriveFile } from '../models.js';

/**
 * Files and folders of every drive the user can read — their OneDrive for Business and the
 * document library of each SharePoint site — through the delta API, one `@odata.deltaLink` per
 * drive. The checkpoint is saved after each drive, so an interrupted run resumes with the drives it
 * had not finished. Drives themselves are a full snapshot each run (a site that disappears removes
 * its `Drive` record).
 */
const sync = createSync({
  description: 'Files of the user OneDrive and every SharePoint document library they can read',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [
    { method: 'GET', path: '/drives' },
    { method: 'GET', path: '/files' },
  ],
  models: { Drive, DriveFile },
  scopes: ['offline_access', 'Files.Read.All', 'Sites.Read.All'],
  checkpoint: z.object({ deltaLinks: z.record(z.string(), z.string()) }),
  exec: async (nango) => {
    const deltaLinks: Record<string, string> = { ...((await nango.getCheckpoint())?.deltaLinks ?? {}) };

    await nango.trackDeletesStart('Drive');
    const drives = await listDrives(nango);
    await nango.batchSave(drives, 'Drive');
    await nango.trackDeletesEnd('Drive');

    for (const drive of drives) {
      let deltaLink: string | undefined;
      const saved = deltaLinks[drive.id];
      for await (const page of nango.paginate<GraphDriveItem>({
        // A saved deltaLink is absolute and passed back as the endpoint, as Nango scripts do.
        endpoint: saved ?? `/v1.0/drives/${encodeURIComponent(drive.id)}/root/delta`,
        params: saved ? {} : { $top: '200' },
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
        if (current.length > 0)
          await nango.batchSave(
            current.map((item) => toDriveFile(item, drive)),
            'DriveFile',
          );
        if (removed.length > 0)
          await nango.batchDelete(
            removed.map((item) => ({ id: item.id })),
            'DriveFile',
          );
      }
      if (deltaLink !== undefined) {
        deltaLinks[drive.id] = deltaLink;
        await nango.saveCheckpoint({ deltaLinks });
      }
    }
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
