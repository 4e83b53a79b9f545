import { createSync } from 'nango';
import * as z from 'zod';
import { type GraphMailFolder, type GraphMessage, OutlookMessage, toMessage } from '../models.js';

const FIELDS = [
  'subject',
  'from',
  'toRecipients',
  'ccRecipients',
  'receivedDateTime',
  'sentDateTime',
  'isRead',
  'importance',
  'hasAttachments',
  'bodyPreview',
  'conversationId',
  'parentFolderId',
  'webLink',
  'lastModifiedDateTime',
].join(',');

/**
 * Every message of every mail folder through Graph's per-folder message delta: the first run reads
 * each folder once, later runs only what changed, one `@odata.deltaLink` per folder in the
 * checkpoint (saved after each folder, so an interrupted run resumes).
 *
 * Every request asks for immutable ids: Outlook's default ids change when a message moves to
 * another folder, which would make each move look like a deletion plus a new message. With
 * immutable ids a move is an update (new `folderId`), and a message the old folder reports
 * `@removed` is looked up before it is deleted, because it may only have moved.
 *
 * A folder enumeration lists only what exists, so reading every folder from scratch — the first
 * run, a full resync, a folder that disappeared, Graph expiring a delta link (`410 Gone`), or a
 * checkpoint from 1.0.0 (whose records carry default ids) — is bounded by a deletion snapshot that
 * tombstones every message not seen again. `rebuilding` keeps that snapshot open across runs.
 */
const IMMUTABLE_IDS = 'IdType="ImmutableId"';

interface State {
  deltaLinks: Record<string, string>;
  rebuilding: boolean;
}

const sync = createSync({
  description: 'Mail messages of every folder, kept up to date with the delta API',
  version: '1.1.0',
  frequency: 'every 15 minutes',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/messages' }],
  models: { OutlookMessage },
  scopes: ['offline_access', 'Mail.Read'],
  checkpoint: z.object({
    deltaLinks: z.record(z.string(), z.string()),
    // Absent in checkpoints written by 1.0.0, which synced default ids.
    idType: z.literal('ImmutableId').optional(),
    rebuilding: z.boolean().optional(),
  }),
  exec: async (nango) => {
    const saved = await nango.getCheckpoint();
    const state: State = { deltaLinks: { ...(saved?.deltaLinks ?? {}) }, rebuilding: saved?.rebuilding === true };
    const folders: GraphMailFolder[] = [];
    for await (const page of nango.paginate<GraphMailFolder>({
      endpoint: '/v1.0/me/mailFolders',
      params: { $top: '100', $select: 'id,displayName' },
    }))
      folders.push(...page);

    const vanished = Object.keys(state.deltaLinks).filter((id) => !folders.some((folder) => folder.id === id));
    if (saved === null) await rebuild(nango, state, 'no checkpoint: reading every folder');
    else if (saved.idType !== 'ImmutableId')
      await rebuild(nango, state, 'the checkpoint predates immutable ids: reading every folder again');
    else if (vanished.length > 0 && !state.rebuilding)
      await rebuild(nango, state, `${vanished.length} folder(s) disappeared: reading every folder again`);

    const expired = await readFolders(nango, state, folders);
    if (expired !== undefined) {
      await rebuild(nango, state, `the delta link of folder ${expired} expired (410): reading every folder again`);
      await readFolders(nango, state, folders);
    }
    if (state.rebuilding) {
      await nango.trackDeletesEnd('OutlookMessage');
      state.rebuilding = false;
      await nango.saveCheckpoint(checkpointOf(state, folders));
    }
  },
});

/** Links of folders that are gone are dropped: a rebuild tombstones their messages. */
function checkpointOf(
  state: State,
  folders: GraphMailFolder[],
): { deltaLinks: Record<string, string>; idType: 'ImmutableId'; rebuilding?: boolean } {
  const deltaLinks: Record<string, string> = {};
  for (const folder of folders) {
    const link = state.deltaLinks[folder.id];
    if (link !== undefined) deltaLinks[folder.id] = link;
  }
  return { deltaLinks, idType: 'ImmutableId', ...(state.rebuilding ? { rebuilding: true } : {}) };
}

/** Forget every delta link and open the snapshot the rest of the run (or runs) fills. */
async function rebuild(nango: NangoSyncLocal, state: State, why: string): Promise<void> {
  await nango.log(`Rebuilding the message list (${why})`);
  await nango.trackDeletesStart('OutlookMessage');
  state.deltaLinks = {};
  state.rebuilding = true;
  await nango.saveCheckpoint({ deltaLinks: {}, idType: 'ImmutableId', rebuilding: true });
}

/**
 * A delta round for every folder, checkpointed after each. Returns the id of a folder whose link
 * expired; during a rebuild such a folder is simply read again (the snapshot is open).
 */
async function readFolders(
  nango: NangoSyncLocal,
  state: State,
  folders: GraphMailFolder[],
): Promise<string | undefined> {
  for (const folder of folders) {
    let deltaLink = await readFolder(nango, folder, state.deltaLinks[folder.id]);
    if (deltaLink === undefined) {
      if (!state.rebuilding) return folder.id;
      deltaLink = await readFolder(nango, folder, undefined);
    }
    if (deltaLink === undefined) throw new Error(`Graph expired a fresh delta round of folder ${folder.id}`);
    state.deltaLinks[folder.id] = deltaLink;
    await nango.saveCheckpoint(checkpointOf(state, folders));
  }
  return undefined;
}

/** One delta round of a folder; its new delta link, or undefined when Graph says `from` expired. */
async function readFolder(
  nango: NangoSyncLocal,
  folder: GraphMailFolder,
  from: string | undefined,
): Promise<string | undefined> {
  let deltaLink: string | undefined;
  try {
    for await (const page of nango.paginate<GraphMessage>({
      endpoint: from ?? `/v1.0/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`,
      params: from !== undefined ? {} : { $select: FIELDS },
      headers: { Prefer: `odata.maxpagesize=50, ${IMMUTABLE_IDS}` },
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
      const current = page.filter((m) => m['@removed'] === undefined);
      if (current.length > 0)
        await nango.batchSave(
          current.map((m) => toMessage(m, folder)),
          'OutlookMessage',
        );
      const gone: Array<{ id: string }> = [];
      for (const removed of page.filter((m) => m['@removed'] !== undefined)) {
        // Moved, not deleted? Then it still exists (and its new folder's delta saves it).
        if (!(await stillExists(nango, removed.id))) gone.push({ id: removed.id });
      }
      if (gone.length > 0) await nango.batchDelete(gone, 'OutlookMessage');
    }
  } catch (error) {
    if (from !== undefined && (error as { response?: { status?: number } }).response?.status === 410) return undefined;
    throw error;
  }
  if (deltaLink === undefined) throw new Error(`The delta round of folder ${folder.id} ended without a deltaLink`);
  return deltaLink;
}

async function stillExists(nango: NangoSyncLocal, id: string): Promise<boolean> {
  return nango
    .get<GraphMessage>({
      endpoint: `/v1.0/me/messages/${encodeURIComponent(id)}`,
      params: { $select: 'id' },
      headers: { Prefer: IMMUTABLE_IDS },
      retries: 2,
    })
    .then(
      () => true,
      (error: { response?: { status?: number } }) => {
        if (error.response?.status === 404) return false;
        throw error;
      },
    );
}

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
