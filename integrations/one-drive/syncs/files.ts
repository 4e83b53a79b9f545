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
 *
 * A drive enumeration lists only what exists, so files deleted while there was no delta link would
 * never be reported. Reading every drive from scratch — the first run, a full resync, a drive Graph
 * confirms gone, or Graph expiring a delta link with `410 Gone` — is therefore bounded by a
 * `DriveFile` deletion snapshot, which tombstones every file not seen again. `rebuilding` in the
 * checkpoint keeps that snapshot open across runs when a rebuild is interrupted.
 */
const sync = createSync({
  description: 'Files of the user OneDrive and every SharePoint document library they can read',
  version: '1.1.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [
    { method: 'GET', path: '/drives' },
    { method: 'GET', path: '/files' },
  ],
  models: { Drive, DriveFile },
  // Real time for the user's own OneDrive: Weft subscribes to its Graph change notifications and runs
  // this sync (delta) on each. SharePoint libraries are read at the scheduled runs.
  webhookSubscriptions: ['me/drive/root'],
  scopes: ['offline_access', 'Files.Read.All', 'Sites.Read.All'],
  checkpoint: z.object({ deltaLinks: z.record(z.string(), z.string()), rebuilding: z.boolean().optional() }),
  exec: async (nango) => {
    const saved = await nango.getCheckpoint();
    const state: State = { deltaLinks: { ...(saved?.deltaLinks ?? {}) }, rebuilding: saved?.rebuilding === true };

    await nango.trackDeletesStart('Drive');
    const drives = await listDrives(nango);
    await nango.batchSave(drives, 'Drive');
    await nango.trackDeletesEnd('Drive');

    if (saved === null) await rebuild(nango, state, 'no checkpoint: reading every drive');
    else if (!state.rebuilding) {
      const gone = await goneDrives(nango, state, drives);
      if (gone.length > 0)
        await rebuild(nango, state, `drive(s) ${gone.join(', ')} no longer exist: reading every drive again`);
    }

    const expired = await readDrives(nango, state, drives);
    if (expired !== undefined) {
      await rebuild(nango, state, `the delta link of drive ${expired} expired (410): reading every drive again`);
      await readDrives(nango, state, drives);
    }
    if (state.rebuilding) {
      await nango.trackDeletesEnd('DriveFile');
      state.rebuilding = false;
      await nango.saveCheckpoint(checkpointOf(state));
    }
  },
});

interface State {
  deltaLinks: Record<string, string>;
  rebuilding: boolean;
}

/**
 * Drives with a delta link that the listing did not return and Graph confirms are gone (404, or
 * 403 once the user lost access). Site search can miss a site that still exists: such a drive keeps
 * its link, and its files stay, until it is listed again.
 */
async function goneDrives(nango: NangoSyncLocal, state: State, drives: Drive[]): Promise<string[]> {
  const gone: string[] = [];
  for (const id of Object.keys(state.deltaLinks)) {
    if (drives.some((drive) => drive.id === id)) continue;
    const status = await nango
      .get({ endpoint: `/v1.0/drives/${encodeURIComponent(id)}`, params: { $select: 'id' }, retries: 2 })
      .then(
        () => 200,
        (error: { response?: { status?: number } }) => {
          const code = error.response?.status;
          if (code === 404 || code === 403) return code;
          throw error;
        },
      );
    if (status !== 200) gone.push(id);
  }
  return gone;
}

function checkpointOf(state: State): { deltaLinks: Record<string, string>; rebuilding?: boolean } {
  return state.rebuilding ? { deltaLinks: state.deltaLinks, rebuilding: true } : { deltaLinks: state.deltaLinks };
}

/** Forget every delta link and open the `DriveFile` snapshot the rest of the run (or runs) fills. */
async function rebuild(nango: NangoSyncLocal, state: State, why: string): Promise<void> {
  await nango.log(`Rebuilding the file list (${why})`);
  await nango.trackDeletesStart('DriveFile');
  state.deltaLinks = {};
  state.rebuilding = true;
  await nango.saveCheckpoint({ deltaLinks: {}, rebuilding: true });
}

/**
 * A delta round for every drive, checkpointed after each. Returns the id of a drive whose link
 * expired; during a rebuild such a drive is simply enumerated again (the snapshot is open).
 */
async function readDrives(nango: NangoSyncLocal, state: State, drives: Drive[]): Promise<string | undefined> {
  for (const drive of drives) {
    let deltaLink = await readDrive(nango, drive, state.deltaLinks[drive.id]);
    if (deltaLink === undefined) {
      if (!state.rebuilding) return drive.id;
      deltaLink = await readDrive(nango, drive, undefined);
    }
    if (deltaLink === undefined) throw new Error(`Graph expired a fresh delta round of drive ${drive.id}`);
    state.deltaLinks[drive.id] = deltaLink;
    await nango.saveCheckpoint(checkpointOf(state));
  }
  return undefined;
}

/** One delta round of a drive; its new delta link, or undefined when Graph says `from` expired. */
async function readDrive(nango: NangoSyncLocal, drive: Drive, from: string | undefined): Promise<string | undefined> {
  let deltaLink: string | undefined;
  try {
    for await (const page of nango.paginate<GraphDriveItem>({
      // A saved deltaLink is absolute and passed back as the endpoint, as Nango scripts do.
      endpoint: from ?? `/v1.0/drives/${encodeURIComponent(drive.id)}/root/delta`,
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
  } catch (error) {
    if (from !== undefined && (error as { response?: { status?: number } }).response?.status === 410) return undefined;
    throw error;
  }
  if (deltaLink === undefined) throw new Error(`The delta enumeration of drive ${drive.id} ended without a deltaLink`);
  return deltaLink;
}

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
