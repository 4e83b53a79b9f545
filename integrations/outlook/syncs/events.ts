import { createSync } from 'nango';
import { readNotifiedItem } from '../graph-item.js';
import { type GraphEvent, OutlookEvent, toEvent } from '../models.js';

const FIELDS =
  'iCalUId,subject,start,end,isAllDay,isCancelled,location,organizer,attendees,webLink,lastModifiedDateTime';

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
  // Real time: Weft subscribes to Graph change notifications for the calendar's events; each one
  // names an event and `onWebhook` below brings that one record up to date.
  webhookSubscriptions: ['me/events'],
  exec: async (nango) => {
    await nango.trackDeletesStart('OutlookEvent');
    for await (const page of nango.paginate<GraphEvent>({
      endpoint: '/v1.0/me/events',
      params: { $top: '50', $select: FIELDS },
      headers: { Prefer: 'outlook.timezone="UTC"' },
    })) {
      if (page.length > 0) await nango.batchSave(page.map(toEvent), 'OutlookEvent');
    }
    await nango.trackDeletesEnd('OutlookEvent');
  },
  /** One Graph change notification for one event: read it again and save it, or delete its record when it is gone. */
  onWebhook: async (nango, payload) => {
    const notified = await readNotifiedItem<GraphEvent>(nango, payload, '/v1.0/me/events', {
      params: { $select: FIELDS },
      headers: { Prefer: 'outlook.timezone="UTC"' },
    });
    if (notified === undefined) return;
    if (notified.item === undefined) await nango.batchDelete([{ id: notified.id }], 'OutlookEvent');
    else await nango.batchSave([toEvent(notified.item)], 'OutlookEvent');
  },
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
