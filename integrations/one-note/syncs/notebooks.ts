import { createSync } from 'nango';
import { type GraphNotebook, OneNoteNotebook, toNotebook } from '../models.js';

/** The user's notebooks, as a full snapshot each run (deleted notebooks are tombstoned). */
const sync = createSync({
  description: 'OneNote notebooks of the user',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'full',
  endpoints: [{ method: 'GET', path: '/notebooks' }],
  models: { OneNoteNotebook },
  scopes: ['offline_access', 'Notes.Read'],
  exec: async (nango) => {
    await nango.trackDeletesStart('OneNoteNotebook');
    for await (const page of nango.paginate<GraphNotebook>({
      endpoint: '/v1.0/me/onenote/notebooks',
      params: { $top: '100' },
    })) {
      if (page.length > 0) await nango.batchSave(page.map(toNotebook), 'OneNoteNotebook');
    }
    await nango.trackDeletesEnd('OneNoteNotebook');
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
