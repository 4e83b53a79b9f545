import { createSync } from 'nango';
import { type GraphEvent, OutlookEvent, toEvent } from '../models.js';

/**
 * Events of the user's default calendar, as a full snapshot each run: `trackDeletesStart/End`
 * tombstone events that are gone, and only a run that lists every page deletes anything.
 */
const sync = createSync({
  description: 'Calendar events of the default calendar (full snapshot with deletion detection)',
  version: '1.0.0',
  frequency: 'every hour',
  autoStart: true,
  syncType: 'full',
  endpoints: [{ method: 'GET', path: '/events' }],
  models: { OutlookEvent },
  scopes: ['offline_access', 'Calendars.Read'],
  exec: async (nango) => {
    await nango.trackDeletesStart('OutlookEvent');
    for await (const page of nango.paginate<GraphEvent>({
      endpoint: '/v1.0/me/events',
      params: {
        $top: '50',
        $select:
          'iCalUId,subject,start,end,isAllDay,isCancelled,location,organizer,attendees,webLink,lastModifiedDateTime',
      },
      headers: { Prefer: 'outlook.timezone="UTC"' },
    })) {
      if (page.length > 0) await nango.batchSave(page.map(toEvent), 'OutlookEvent');
    }
    await nango.trackDeletesEnd('OutlookEvent');
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
