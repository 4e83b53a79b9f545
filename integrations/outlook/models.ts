import * as z from 'zod';

const Address = z.object({ name: z.string().nullable(), address: z.string() });

/** A mail message, in whichever folder it lives now. */
export const OutlookMessage = z.object({
  id: z.string(),
  folderId: z.string(),
  folderName: z.string(),
  conversationId: z.string().nullable(),
  subject: z.string(),
  from: Address.nullable(),
  to: z.array(Address),
  cc: z.array(Address),
  receivedAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  isRead: z.boolean(),
  importance: z.string(),
  hasAttachments: z.boolean(),
  bodyPreview: z.string(),
  webLink: z.string().nullable(),
  modifiedAt: z.string().nullable(),
});
export type OutlookMessage = z.infer<typeof OutlookMessage>;

/** A calendar event of the user's default calendar. */
export const OutlookEvent = z.object({
  id: z.string(),
  iCalUId: z.string().nullable(),
  subject: z.string(),
  start: z.string(),
  end: z.string(),
  timeZone: z.string(),
  isAllDay: z.boolean(),
  isCancelled: z.boolean(),
  location: z.string().nullable(),
  organizer: Address.nullable(),
  attendees: z.array(Address.extend({ type: z.string() })),
  webLink: z.string().nullable(),
  modifiedAt: z.string().nullable(),
});
export type OutlookEvent = z.infer<typeof OutlookEvent>;

/** Raw Microsoft Graph shapes the scripts read. */
interface GraphRecipient {
  emailAddress?: { name?: string; address?: string };
}

export interface GraphMailFolder {
  id: string;
  displayName?: string;
}

export interface GraphMessage {
  id: string;
  '@removed'?: { reason?: string };
  parentFolderId?: string;
  conversationId?: string;
  subject?: string | null;
  from?: GraphRecipient;
  toRecipients?: GraphRecipient[];
  ccRecipients?: GraphRecipient[];
  receivedDateTime?: string;
  sentDateTime?: string;
  isRead?: boolean;
  importance?: string;
  hasAttachments?: boolean;
  bodyPreview?: string;
  webLink?: string;
  lastModifiedDateTime?: string;
}

export interface GraphEvent {
  id: string;
  iCalUId?: string;
  subject?: string | null;
  start?: { dateTime?: string; timeZone?: string };
  end?: { dateTime?: string; timeZone?: string };
  isAllDay?: boolean;
  isCancelled?: boolean;
  location?: { displayName?: string };
  organizer?: GraphRecipient;
  attendees?: Array<GraphRecipient & { type?: string }>;
  webLink?: string;
  lastModifiedDateTime?: string;
}

const address = (r: GraphRecipient | undefined) =>
  r?.emailAddress?.address ? { name: r.emailAddress.name ?? null, address: r.emailAddress.address } : null;
const addresses = (list: GraphRecipient[] | undefined) =>
  (list ?? []).map(address).filter((a): a is { name: string | null; address: string } => a !== null);

export function toMessage(raw: GraphMessage, folder: GraphMailFolder): OutlookMessage {
  return {
    id: raw.id,
    folderId: raw.parentFolderId ?? folder.id,
    folderName: folder.displayName ?? '',
    conversationId: raw.conversationId ?? null,
    subject: raw.subject ?? '',
    from: address(raw.from),
    to: addresses(raw.toRecipients),
    cc: addresses(raw.ccRecipients),
    receivedAt: raw.receivedDateTime ?? null,
    sentAt: raw.sentDateTime ?? null,
    isRead: raw.isRead ?? false,
    importance: raw.importance ?? 'normal',
    hasAttachments: raw.hasAttachments ?? false,
    bodyPreview: raw.bodyPreview ?? '',
    webLink: raw.webLink ?? null,
    modifiedAt: raw.lastModifiedDateTime ?? null,
  };
}

export function toEvent(raw: GraphEvent): OutlookEvent {
  return {
    id: raw.id,
    iCalUId: raw.iCalUId ?? null,
    subject: raw.subject ?? '',
    start: raw.start?.dateTime ?? '',
    end: raw.end?.dateTime ?? '',
    timeZone: raw.start?.timeZone ?? 'UTC',
    isAllDay: raw.isAllDay ?? false,
    isCancelled: raw.isCancelled ?? false,
    location: raw.location?.displayName || null,
    organizer: address(raw.organizer),
    attendees: (raw.attendees ?? []).flatMap((a) => {
      const entry = address(a);
      return entry === null ? [] : [{ ...entry, type: a.type ?? 'required' }];
    }),
    webLink: raw.webLink ?? null,
    modifiedAt: raw.lastModifiedDateTime ?? null,
  };
}
