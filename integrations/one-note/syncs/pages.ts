import { createSync } from 'nango';
import { type GraphPage, OneNotePage, toPage } from '../models.js';

/**
 * Every page of every notebook (metadata, with its section and notebook), as a full snapshot each
 * run: OneNote has no delta API, and a `lastModifiedDateTime` filter cannot see deletions, so the
 * run lists all pages and `trackDeletesEnd` tombstones the ones that are gone. Unchanged pages are
 * not rewritten, so consumers only see real changes.
 */
const sync = createSync({
  description: 'OneNote pages of every notebook (full snapshot with deletion detection)',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'full',
  endpoints: [{ method: 'GET', path: '/pages' }],
  models: { OneNotePage },
  scopes: ['offline_access', 'Notes.Read'],
  exec: async (nango) => {
    await nango.trackDeletesStart('OneNotePage');
    for await (const page of nango.paginate<GraphPage>({
      endpoint: '/v1.0/me/onenote/pages',
      params: { $top: '100', $expand: 'parentNotebook,parentSection' },
    })) {
      if (page.length > 0) await nango.batchSave(page.map(toPage), 'OneNotePage');
    }
    await nango.trackDeletesEnd('OneNotePage');
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
