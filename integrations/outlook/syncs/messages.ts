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
 */
const IMMUTABLE_IDS = 'IdType="ImmutableId"';

const sync = createSync({
  description: 'Mail messages of every folder, kept up to date with the delta API',
  version: '1.1.0',
  frequency: 'every 15 minutes',
  autoStart: true,
  syncType: 'incremental',
  endpoints: [{ method: 'GET', path: '/messages' }],
  models: { OutlookMessage },
  scopes: ['offline_access', 'Mail.Read'],
  checkpoint: z.object({ deltaLinks: z.record(z.string(), z.string()) }),
  exec: async (nango) => {
    const deltaLinks: Record<string, string> = { ...((await nango.getCheckpoint())?.deltaLinks ?? {}) };
    const folders: GraphMailFolder[] = [];
    for await (const page of nango.paginate<GraphMailFolder>({
      endpoint: '/v1.0/me/mailFolders',
      params: { $top: '100', $select: 'id,displayName' },
    }))
      folders.push(...page);

    for (const folder of folders) {
      let deltaLink: string | undefined;
      const saved = deltaLinks[folder.id];
      for await (const page of nango.paginate<GraphMessage>({
        endpoint: saved ?? `/v1.0/me/mailFolders/${encodeURIComponent(folder.id)}/messages/delta`,
        params: saved ? {} : { $select: FIELDS },
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
          const still = await nango
            .get<GraphMessage>({
              endpoint: `/v1.0/me/messages/${encodeURIComponent(removed.id)}`,
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
          if (!still) gone.push({ id: removed.id });
        }
        if (gone.length > 0) await nango.batchDelete(gone, 'OutlookMessage');
      }
      if (deltaLink !== undefined) {
        deltaLinks[folder.id] = deltaLink;
        await nango.saveCheckpoint({ deltaLinks });
      }
    }
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
