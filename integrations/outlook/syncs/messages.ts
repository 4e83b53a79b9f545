import { createSync } from 'nango';
import * as z from 'zod';
import { getGraphItem, readNotifiedItem } from '../graph-item.js';
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
 * checkpoint, and the next page of the folder being read saved after every page, so an interrupted
 * run (a deploy, a crash, an outage) resumes at that page instead of reading a large Inbox again.
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
  /** The next page of a folder's round that has not completed (a large Inbox takes many runs to read). */
  pending?: { folderId: string; nextLink: string } | undefined;
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
  // Real time: Weft subscribes to Graph change notifications for the mailbox's messages; each one
  // names a message (immutable id) and `onWebhook` below brings that one record up to date.
  webhookSubscriptions: ['me/messages'],
  checkpoint: z.object({
    deltaLinks: z.record(z.string(), z.string()),
    // Absent in checkpoints written by 1.0.0, which synced default ids.
    idType: z.literal('ImmutableId').optional(),
    rebuilding: z.boolean().optional(),
    pending: z.object({ folderId: z.string(), nextLink: z.string() }).optional(),
  }),
  exec: async (nango) => {
    const saved = await nango.getCheckpoint();
    const state: State = {
      deltaLinks: { ...(saved?.deltaLinks ?? {}) },
      rebuilding: saved?.rebuilding === true,
      pending: saved?.pending,
    };
    const folders: GraphMailFolder[] = [];
    for await (const page of nango.paginate<GraphMailFolder>({
      endpoint: '/v1.0/me/mailFolders',
      params: { $top: '100', $select: 'id,displayName' },
    }))
      folders.push(...page);

    if (state.pending !== undefined && !folders.some((folder) => folder.id === state.pending?.folderId))
      state.pending = undefined;
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
  /**
   * One Graph change notification (created, updated or deleted) for one message: read it again and
   * save it, or delete its record when Graph no longer has it. Reading it rather than trusting the
   * change type also covers a notification delivered late or twice.
   */
  onWebhook: async (nango, payload) => {
    const notified = await readNotifiedItem<GraphMessage>(nango, payload, '/v1.0/me/messages', {
      params: { $select: FIELDS },
      headers: { Prefer: IMMUTABLE_IDS },
    });
    if (notified === undefined) return;
    const message = notified.item;
    if (message === undefined) {
      await nango.batchDelete([{ id: notified.id }], 'OutlookMessage');
      return;
    }
    const folder = (
      await nango.get<GraphMailFolder>({
        endpoint: `/v1.0/me/mailFolders/${encodeURIComponent(message.parentFolderId ?? 'inbox')}`,
        params: { $select: 'id,displayName' },
        retries: 2,
      })
    ).data;
    await nango.batchSave([toMessage(message, folder)], 'OutlookMessage');
  },
});

/** Links of folders that are gone are dropped: a rebuild tombstones their messages. */
function checkpointOf(
  state: State,
  folders: GraphMailFolder[],
): {
  deltaLinks: Record<string, string>;
  idType: 'ImmutableId';
  rebuilding?: boolean;
  pending?: { folderId: string; nextLink: string };
} {
  const deltaLinks: Record<string, string> = {};
  for (const folder of folders) {
    const link = state.deltaLinks[folder.id];
    if (link !== undefined) deltaLinks[folder.id] = link;
  }
  return {
    deltaLinks,
    idType: 'ImmutableId',
    ...(state.rebuilding ? { rebuilding: true } : {}),
    ...(state.pending ? { pending: state.pending } : {}),
  };
}

/** Forget every delta link and open the snapshot the rest of the run (or runs) fills. */
async function rebuild(nango: NangoSyncLocal, state: State, why: string): Promise<void> {
  await nango.log(`Rebuilding the message list (${why})`);
  await nango.trackDeletesStart('OutlookMessage');
  state.deltaLinks = {};
  state.rebuilding = true;
  state.pending = undefined;
  await nango.saveCheckpoint({ deltaLinks: {}, idType: 'ImmutableId', rebuilding: true });
}

/**
 * A delta round for every folder, checkpointed after each page. Returns the id of a folder whose
 * link expired; during a rebuild such a folder is simply read again (the snapshot is open).
 */
async function readFolders(
  nango: NangoSyncLocal,
  state: State,
  folders: GraphMailFolder[],
): Promise<string | undefined> {
  for (const folder of folders) {
    const pending = state.pending?.folderId === folder.id ? state.pending.nextLink : undefined;
    const onPage = async (nextLink: string) => {
      state.pending = { folderId: folder.id, nextLink };
      await nango.saveCheckpoint(checkpointOf(state, folders));
    };
    let deltaLink = await readFolder(nango, folder, pending ?? state.deltaLinks[folder.id], onPage);
    if (deltaLink === undefined) {
      if (!state.rebuilding) return folder.id;
      deltaLink = await readFolder(nango, folder, undefined, onPage);
    }
    if (deltaLink === undefined) throw new Error(`Graph expired a fresh delta round of folder ${folder.id}`);
    state.deltaLinks[folder.id] = deltaLink;
    state.pending = undefined;
    await nango.saveCheckpoint(checkpointOf(state, folders));
  }
  return undefined;
}

/**
 * One delta round of a folder from `from` (a delta link, a saved next page, or nothing: a fresh
 * read). `onPage` gets each next page once the page is stored. Returns the round's new delta link,
 * or undefined when Graph says `from` expired.
 */
async function readFolder(
  nango: NangoSyncLocal,
  folder: GraphMailFolder,
  from: string | undefined,
  onPage: (nextLink: string) => Promise<void>,
): Promise<string | undefined> {
  // Paged by hand rather than with nango.paginate: the checkpoint needs each page's own nextLink.
  let endpoint = from ?? `/v1.0/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`;
  let params: Record<string, string> = from !== undefined ? {} : { $select: FIELDS };
  for (;;) {
    let data: DeltaPage;
    try {
      data = (
        await nango.get<DeltaPage>({
          endpoint,
          params,
          // On every page: Graph applies preferences per request.
          headers: { Prefer: `odata.maxpagesize=50, ${IMMUTABLE_IDS}` },
        })
      ).data;
    } catch (error) {
      if (from !== undefined && (error as { response?: { status?: number } }).response?.status === 410)
        return undefined;
      throw error;
    }
    const page = data.value ?? [];
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
    const next = data['@odata.nextLink'];
    if (typeof next !== 'string') {
      const deltaLink = data['@odata.deltaLink'];
      if (typeof deltaLink !== 'string')
        throw new Error(`The delta round of folder ${folder.id} ended without an @odata.deltaLink`);
      return deltaLink;
    }
    await onPage(next);
    endpoint = next;
    params = {};
  }
}

interface DeltaPage {
  value?: GraphMessage[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

async function stillExists(nango: NangoSyncLocal, id: string): Promise<boolean> {
  const found = await getGraphItem<GraphMessage>(nango, `/v1.0/me/messages/${encodeURIComponent(id)}`, {
    params: { $select: 'id' },
    headers: { Prefer: IMMUTABLE_IDS },
  });
  return found !== undefined;
}

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
