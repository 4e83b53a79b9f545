import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createGraphSubscriptions,
  type GraphSubscriptions,
  SubscriptionError,
} from './microsoft-graph-subscriptions.ts';
import type { AccessTokenClaims, MicrosoftIdentityFake } from './microsoft-identity.ts';

/**
 * A fake of the Microsoft Graph v1.0 endpoints an integration typically syncs, following the public
 * docs (learn.microsoft.com/graph/api/…): the signed-in user, OneDrive (children, items, content,
 * delta with deleted facets), Outlook mail (list, per-folder delta with `@removed`, sendMail),
 * calendar events and OneNote notebooks/sections/pages.
 *
 * Bearer tokens are checked with `identity.verifyAccessToken` (Graph audience, delegated tokens for
 * `/me`). Collections page with `value` + absolute `@odata.nextLink` (`$skiptoken`), honour `$top`,
 * `$skip`, `$select` and `$count`. Errors use Graph's `{ error: { code, message, innerError } }` body.
 * Data is generated deterministically from a seed; hooks mutate it so delta tests can observe changes.
 */

export interface GraphSeed {
  /** PRNG seed; the same seed and counts give the same data. @default 1 */
  seed?: number;
  /** Files spread over the folder tree. @default 200 */
  files?: number;
  /** Levels of nested folders under the root. @default 3 */
  folderDepth?: number;
  /** Sub-folders per folder. @default 3 */
  foldersPerFolder?: number;
  /** Extra large files in the root (streamed on download). @default 1 */
  largeFiles?: number;
  /** Size of each large file. @default 8 MiB */
  largeFileBytes?: number;
  /** Messages spread over inbox, archive and sent items. @default 120 */
  messages?: number;
  /** @default 30 */
  events?: number;
  /** @default 2 */
  notebooks?: number;
  /** @default 2 */
  sectionsPerNotebook?: number;
  /** @default 15 */
  pagesPerNotebook?: number;
  /** SharePoint team sites, each with one document library. @default 2 */
  sites?: number;
  /** Files in each site's document library. @default 40 */
  filesPerSite?: number;
}

export interface MicrosoftGraphOptions {
  identity: MicrosoftIdentityFake;
  /** A seed number, or a seed with counts. */
  seed?: number | GraphSeed;
  /** Clock in epoch ms (timestamps of mutations). @default identity.now */
  now?: () => number;
  /** `/content` answers 302 to a pre-authenticated download URL (as Graph does); false streams it directly. @default true */
  contentRedirect?: boolean;
  /** Require the delegated scope a route needs (403 ErrorAccessDenied / accessDenied otherwise). @default false */
  enforceScopes?: boolean;
  /** Host of the tenant's SharePoint (`/sites/root` → `siteCollection.hostname`). @default contoso.sharepoint.com */
  sharepointHost?: string;
  /**
   * Also serve the SharePoint REST API (`/_api/search/query`) on a second loopback server; the
   * tenant's SharePoint host (and every site URL) then points there. Requests need a token whose
   * audience is that host (the connection's secondary token). @default false
   */
  sharepointRest?: boolean;
}

export interface GraphRequest {
  method: string;
  /** Path and query as received, e.g. `/v1.0/me/drive/root/children?$top=5`. */
  url: string;
  status: number;
  throttled: boolean;
  at: number;
}

export type GraphJson = Record<string, unknown>;

export interface NewFile {
  name: string;
  /** Exact content; otherwise deterministic content of `size` bytes. */
  content?: Buffer | string;
  size?: number;
  mimeType?: string;
}

export interface NewMessage {
  subject?: string;
  body?: string;
  from?: string;
  to?: string[];
  /** Folder id or well-known name. @default 'inbox' */
  folder?: string;
  isRead?: boolean;
}

export interface SentMail {
  message: GraphJson;
  saveToSentItems: boolean;
  at: number;
}

export interface MicrosoftGraphFake {
  /** `http://127.0.0.1:<port>`; API routes live under `${baseUrl}/v1.0`. */
  baseUrl: string;
  /** Same as baseUrl. */
  url: string;
  driveId: string;
  rootId: string;
  /** Every request to the fake, oldest first. */
  requests: GraphRequest[];
  /** Mail sent through `/me/sendMail`. */
  sentMail: SentMail[];
  resetRequests(): void;
  /** The next `count` requests answer 429 TooManyRequests with `Retry-After: retryAfterSeconds`. */
  throttleNext(count: number, retryAfterSeconds?: number): void;
  /**
   * The next `count` requests for a later page of a first enumeration (drive delta, or a mail
   * folder's message delta) answer 503: an outage in the middle of reading everything.
   */
  failEnumerationPages(count: number): void;
  /**
   * Expire every delta token issued so far, as Graph does with old tokens: drive delta answers 410
   * `resyncChangesApplyDifferences` (with a `Location` to restart from), mail delta 410 `syncStateNotFound`.
   */
  invalidateDeltaTokens(): void;

  /** A live drive item as Graph serializes it (`'root'` names the root), or undefined. */
  getItem(id: string): GraphJson | undefined;
  /** Live children of a folder, in listing order. */
  listChildren(folderId: string): GraphJson[];
  /** Every live item except the root, in listing order (parents first). */
  allItems(): GraphJson[];
  /** The bytes `/content` serves for a file. */
  fileContent(id: string): Buffer;
  addFile(parentId: string, file: NewFile): GraphJson;
  addFolder(parentId: string, name: string): GraphJson;
  updateFileContent(id: string, content: Buffer | string): GraphJson;
  renameItem(id: string, name: string): GraphJson;
  moveItem(id: string, newParentId: string): GraphJson;
  /** Delete an item (and a folder's descendants); delta reports them with `deleted: { state: 'deleted' }`. */
  deleteItem(id: string): void;

  /**
   * Messages of a folder (id or well-known name), or of the whole mailbox, newest first. The
   * message helpers answer with immutable ids (what `Prefer: IdType="ImmutableId"` requests see)
   * and accept either id.
   */
  listMessages(folder?: string): GraphJson[];
  addMessage(message?: NewMessage): GraphJson;
  updateMessage(id: string, patch: { subject?: string; isRead?: boolean }): GraphJson;
  /** Moves a message to another folder (id or well-known name): its REST id changes, its immutable id does not. */
  moveMessage(id: string, folder: string): GraphJson;
  deleteMessage(id: string): void;
  /** Mail folder id of a well-known name (inbox, sentitems, drafts, archive, deleteditems). */
  mailFolderId(name: string): string;
  listEvents(): GraphJson[];
  addEvent(event: { subject: string; start?: number; durationMinutes?: number }): GraphJson;
  updateEvent(id: string, patch: { subject?: string; location?: string }): GraphJson;
  deleteEvent(id: string): void;
  listNotebooks(): GraphJson[];
  listSections(): GraphJson[];
  listPages(): GraphJson[];
  addPage(sectionId: string, title: string): GraphJson;
  renamePage(id: string, title: string): GraphJson;
  deletePage(id: string): void;

  // SharePoint sites and their document libraries (OneDrive for Business / SharePoint Online).
  listSites(): GraphJson[];
  /** Live files of one site's library, or of every site's. */
  siteFiles(siteId?: string): GraphJson[];
  addSiteFile(siteId: string, name: string, size?: number): GraphJson;
  renameSiteFile(id: string, name: string): GraphJson;
  deleteSiteFile(id: string): void;
  /** Delete a site with its library: searches stop listing it and its drive answers 404. */
  deleteSite(id: string): void;
  /** Graph's site search (`/sites?search=`) stops (or, with false, resumes) finding this site; it still exists. */
  graphSearchMisses(siteId: string, missed?: boolean): void;
  /** Requests the SharePoint REST server received (with `sharepointRest`). */
  sharepointRequests: Array<{ url: string; status: number; audience: string | null }>;
  /** Make the SharePoint REST server answer every request with this status (e.g. 403), or null to serve again. */
  sharepointDenies(status: number | null): void;

  /**
   * Change notification subscriptions (`/subscriptions`): what exists, the handshakes and
   * deliveries made, lifecycle notifications and lost/duplicated deliveries on demand.
   */
  subscriptions: GraphSubscriptions;

  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Deterministic generation helpers

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from empty list');
    return item;
  }
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
  guid(): string {
    const h = this.chars('0123456789abcdef', 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const WORDS = [
  'Budget',
  'Roadmap',
  'Invoices',
  'Design',
  'Research',
  'Contracts',
  'Marketing',
  'Photos',
  'Reports',
  'Onboarding',
  'Archive',
  'Planning',
  'Finance',
  'Travel',
  'Meeting',
  'Notes',
  'Proposal',
  'Summary',
  'Quarterly',
  'Launch',
] as const;
const PEOPLE = [
  ['Adele Vance', 'AdeleV@contoso.onmicrosoft.com'],
  ['Alex Wilber', 'AlexW@contoso.onmicrosoft.com'],
  ['Diego Siciliani', 'DiegoS@contoso.onmicrosoft.com'],
  ['Grady Archie', 'GradyA@contoso.onmicrosoft.com'],
  ['Isaiah Langer', 'IsaiahL@contoso.onmicrosoft.com'],
  ['Johanna Lorenz', 'JohannaL@contoso.onmicrosoft.com'],
  ['Lee Gu', 'LeeG@contoso.onmicrosoft.com'],
  ['Lidia Holloway', 'LidiaH@contoso.onmicrosoft.com'],
  ['Nestor Wilke', 'NestorW@contoso.onmicrosoft.com'],
  ['Patti Fernandez', 'PattiF@contoso.onmicrosoft.com'],
] as const;
const FILE_TYPES = [
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
  ['pdf', 'application/pdf'],
  ['txt', 'text/plain'],
  ['md', 'text/markdown'],
  ['csv', 'text/csv'],
  ['json', 'application/json'],
  ['jpg', 'image/jpeg'],
  ['png', 'image/png'],
] as const;
const SEED_EPOCH = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

function mimeOf(name: string): string {
  const ext = name.split('.').pop()?.toLowerCase() ?? '';
  return FILE_TYPES.find(([e]) => e === ext)?.[1] ?? 'application/octet-stream';
}

function isText(mimeType: string): boolean {
  return mimeType.startsWith('text/') || mimeType === 'application/json';
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function unb64url(value: string): unknown {
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function toBuffer(content: Buffer | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

// ---------------------------------------------------------------------------------------------------
// File content and hashes

const BLOCK = 64 * 1024;

/** QuickXorHash (OneDrive for Business): bytes XORed into a 160-bit circular register, shifted 11 bits per byte. */
class QuickXorHash {
  private readonly acc = new Uint8Array(160);
  private pos = 0;
  private length = 0;
  update(data: Uint8Array): void {
    const acc = this.acc;
    let p = this.pos;
    for (let i = 0; i < data.length; i++) {
      acc[p] = (acc[p] ?? 0) ^ (data[i] ?? 0);
      p = p === 159 ? 0 : p + 1;
    }
    this.pos = p;
    this.length += data.length;
  }
  digest(): string {
    const reg = new Uint8Array(20);
    for (let i = 0; i < 160; i++) {
      const value = this.acc[i] ?? 0;
      if (value === 0) continue;
      const start = (i * 11) % 160;
      for (let bit = 0; bit < 8; bit++) {
        if (((value >> bit) & 1) === 0) continue;
        const q = (start + bit) % 160;
        reg[q >> 3] = (reg[q >> 3] ?? 0) ^ (1 << (q & 7));
      }
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(this.length));
    for (let i = 0; i < 8; i++) reg[12 + i] = (reg[12 + i] ?? 0) ^ (len[i] ?? 0);
    return Buffer.from(reg).toString('base64');
  }
}

/** QuickXorHash of some bytes, base64 (as in `file.hashes.quickXorHash`). */
export function quickXorHash(data: Uint8Array): string {
  const hash = new QuickXorHash();
  hash.update(data);
  return hash.digest();
}

/** Deterministic bytes: a seeded block repeated, each 64 KiB chunk stamped with its index. */
function generatedBlock(seed: number, size: number, text: boolean): Buffer {
  const next = prng(seed);
  const length = Math.min(size, BLOCK);
  const block = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const r = Math.floor(next() * 256);
    block[i] = text ? (r % 40 === 0 ? 10 : 32 + (r % 95)) : r;
  }
  return block;
}

function* generatedChunks(seed: number, size: number, text: boolean, start = 0, end = size): Generator<Buffer> {
  if (end <= start) return;
  const block = generatedBlock(seed, size, text);
  for (let c = Math.floor(start / BLOCK); c * BLOCK < end; c++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(BLOCK, size - c * BLOCK)));
    if (c > 0 && chunk.length >= 8) chunk.write(c.toString(16).padStart(8, '0'), 0, 'latin1');
    const from = Math.max(start - c * BLOCK, 0);
    const to = Math.min(end - c * BLOCK, chunk.length);
    yield chunk.subarray(from, to);
  }
}

// ---------------------------------------------------------------------------------------------------
// Records

interface DriveRecord {
  id: string;
  name: string;
  parentId: string | null;
  folder: boolean;
  created: number;
  modified: number;
  /** Last change (delta sequence). */
  seq: number;
  deleted: boolean;
  depth: number;
  version: number;
  contentVersion: number;
  guid: string;
  size: number;
  mimeType: string;
  contentSeed: number;
  content?: Buffer;
  hashes?: { quickXorHash: string; sha1Hash: string; sha256Hash: string };
  author: number;
}

interface MailFolderRecord {
  id: string;
  displayName: string;
  wellKnownName: string;
}

interface MessageRecord {
  /** The default (REST) id: Exchange gives an item a new one whenever it moves to another folder. */
  id: string;
  /** What requests with `Prefer: IdType="ImmutableId"` see: stable for the item's lifetime in the mailbox. */
  immutableId: string;
  folderId: string;
  subject: string;
  body: string;
  from: number | { name: string; address: string };
  to: Array<{ name: string; address: string }>;
  received: number;
  created: number;
  modified: number;
  isRead: boolean;
  importance: 'low' | 'normal' | 'high';
  hasAttachments: boolean;
  conversationId: string;
  changeKey: string;
  seq: number;
  deleted: boolean;
}

interface EventRecord {
  id: string;
  subject: string;
  start: number;
  end: number;
  isAllDay: boolean;
  location: string;
  organizer: number;
  attendees: number[];
  created: number;
  modified: number;
  iCalUId: string;
  changeKey: string;
}

interface NotebookRecord {
  id: string;
  displayName: string;
  created: number;
  modified: number;
  isDefault: boolean;
}

interface SectionRecord {
  id: string;
  notebookId: string;
  displayName: string;
  created: number;
  modified: number;
}

interface PageRecord {
  id: string;
  sectionId: string;
  title: string;
  created: number;
  modified: number;
  order: number;
  body: string;
}

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFound = (what = 'Item not found'): GraphError => new GraphError(404, 'itemNotFound', what);
const outlookNotFound = (): GraphError =>
  new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
const oneNoteNotFound = (): GraphError => new GraphError(404, '20102', 'The requested resource does not exist.');

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path below `/v1.0`, e.g. `/me/drive/root/children`. */
  path: string;
  claims: AccessTokenClaims;
  clientRequestId: string;
  requestId: string;
}

// ---------------------------------------------------------------------------------------------------

export async function startMicrosoftGraphFake(options: MicrosoftGraphOptions): Promise<MicrosoftGraphFake> {
  const { identity } = options;
  const seedOptions: GraphSeed = typeof options.seed === 'number' ? { seed: options.seed } : (options.seed ?? {});
  const counts = {
    seed: seedOptions.seed ?? 1,
    files: seedOptions.files ?? 200,
    folderDepth: seedOptions.folderDepth ?? 3,
    foldersPerFolder: seedOptions.foldersPerFolder ?? 3,
    largeFiles: seedOptions.largeFiles ?? 1,
    largeFileBytes: seedOptions.largeFileBytes ?? 8 * 1024 * 1024,
    messages: seedOptions.messages ?? 120,
    events: seedOptions.events ?? 30,
    notebooks: seedOptions.notebooks ?? 2,
    sectionsPerNotebook: seedOptions.sectionsPerNotebook ?? 2,
    pagesPerNotebook: seedOptions.pagesPerNotebook ?? 15,
    sites: seedOptions.sites ?? 2,
    filesPerSite: seedOptions.filesPerSite ?? 40,
  };
  const clock = options.now ?? (() => identity.now());
  const contentRedirect = options.contentRedirect ?? true;
  const rng = new Rng(counts.seed);
  const downloadKey = randomBytes(32);
  const me = identity.user;
  const mySite = `https://contoso-my.sharepoint.com/personal/${me.preferredUsername.replace(/[@.]/g, '_').toLowerCase()}`;

  let seq = 0;
  let deltaEpoch = 1;
  const subscriptions = createGraphSubscriptions({
    clock,
    tenantId: identity.tenantId,
    userId: me.oid,
    applicationId: randomUUID(),
  });
  const driveChanged = (): void => subscriptions.changed({ kind: 'driveItem' });
  const messageChanged = (record: MessageRecord, changeType: 'created' | 'updated' | 'deleted'): void =>
    subscriptions.changed({
      kind: 'message',
      changeType,
      id: record.id,
      immutableId: record.immutableId,
      etag: `W/"${record.changeKey}"`,
    });
  const eventChanged = (record: EventRecord, changeType: 'created' | 'updated' | 'deleted'): void =>
    subscriptions.changed({ kind: 'event', changeType, id: record.id, etag: `W/"${record.changeKey}"` });
  let throttle = { count: 0, retryAfter: 1 };

  // --- Drive ------------------------------------------------------------------------------------
  const driveId = `b!${rng.chars(B64URL, 64)}`;
  const items = new Map<string, DriveRecord>();
  const children = new Map<string, Set<string>>();
  const newItemId = (): string => `01${rng.chars(BASE32, 32)}`;
  let folderSizes: Map<string, number> | null = null;

  function insert(record: DriveRecord): DriveRecord {
    items.set(record.id, record);
    if (record.parentId !== null) {
      let set = children.get(record.parentId);
      if (set === undefined) {
        set = new Set();
        children.set(record.parentId, set);
      }
      set.add(record.id);
    }
    folderSizes = null;
    return record;
  }

  function baseRecord(name: string, parentId: string | null, folder: boolean, created: number): DriveRecord {
    const parent = parentId === null ? undefined : items.get(parentId);
    return {
      id: newItemId(),
      name,
      parentId,
      folder,
      created,
      modified: created,
      seq: 0,
      deleted: false,
      depth: parent === undefined ? 0 : parent.depth + 1,
      version: 1,
      contentVersion: 1,
      guid: rng.guid().toUpperCase(),
      size: 0,
      mimeType: folder ? '' : mimeOf(name),
      contentSeed: Math.floor(rng.next() * 2 ** 31),
      author: rng.int(0, PEOPLE.length - 1),
    };
  }

  const root = insert(baseRecord('root', null, true, SEED_EPOCH - 400 * DAY));
  const rootId = root.id;

  {
    const folders: DriveRecord[] = [root];
    let level: DriveRecord[] = [root];
    for (let depth = 1; depth <= counts.folderDepth; depth++) {
      const nextLevel: DriveRecord[] = [];
      for (const parent of level) {
        for (let i = 0; i < counts.foldersPerFolder; i++) {
          const name = `${rng.pick(WORDS)} ${depth}-${i + 1}`;
          const created = parent.created + rng.int(0, 30) * DAY;
          const folder = insert(baseRecord(name, parent.id, true, created));
          nextLevel.push(folder);
          folders.push(folder);
        }
      }
      level = nextLevel;
    }
    for (let i = 0; i < counts.files; i++) {
      const parent = rng.pick(folders);
      const [ext] = rng.pick(FILE_TYPES);
      const name = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${String(i + 1).padStart(5, '0')}.${ext}`;
      const record = baseRecord(name, parent.id, false, parent.created + rng.int(0, 300) * DAY);
      record.modified = record.created + rng.int(0, 60) * DAY + rng.int(0, DAY / 1000) * 1000;
      record.size = Math.floor(Math.exp(Math.log(200) + rng.next() * (Math.log(200_000) - Math.log(200))));
      insert(record);
    }
    for (let i = 0; i < counts.largeFiles; i++) {
      const record = baseRecord(`Large dataset ${i + 1}.bin`, root.id, false, SEED_EPOCH + i * DAY);
      record.size = counts.largeFileBytes;
      insert(record);
    }
  }

  function live(id: string): DriveRecord {
    const record = items.get(id === 'root' ? rootId : id);
    if (record === undefined || record.deleted) throw notFound();
    return record;
  }

  function pathSegments(record: DriveRecord): string[] {
    const names: string[] = [];
    let current: DriveRecord | undefined = record;
    while (current !== undefined && current.parentId !== null) {
      names.unshift(current.name);
      current = items.get(current.parentId);
    }
    return names;
  }

  function childRecords(folderId: string): DriveRecord[] {
    const ids = children.get(folderId) ?? new Set<string>();
    const out: DriveRecord[] = [];
    for (const id of ids) {
      const record = items.get(id);
      if (record !== undefined && !record.deleted) out.push(record);
    }
    return out.sort((a, b) => childKey(a).localeCompare(childKey(b)));
  }

  function childKey(record: DriveRecord): string {
    return `${record.name.toLowerCase()}\u0000${record.id}`;
  }

  function sizeOf(record: DriveRecord): number {
    if (!record.folder) return record.size;
    if (folderSizes === null) {
      const sizes = new Map<string, number>();
      const visit = (id: string): number => {
        let total = 0;
        for (const child of childRecords(id)) total += child.folder ? visit(child.id) : child.size;
        sizes.set(id, total);
        return total;
      };
      visit(rootId);
      folderSizes = sizes;
    }
    return folderSizes.get(record.id) ?? 0;
  }

  function contentChunks(record: DriveRecord, start = 0, end = record.size): Iterable<Buffer> {
    if (record.content !== undefined) return [record.content.subarray(start, end)];
    return generatedChunks(record.contentSeed, record.size, isText(record.mimeType), start, end);
  }

  function hashesOf(record: DriveRecord): NonNullable<DriveRecord['hashes']> {
    if (record.hashes === undefined) {
      const quickXor = new QuickXorHash();
      const sha1 = createHash('sha1');
      const sha256 = createHash('sha256');
      for (const chunk of contentChunks(record)) {
        quickXor.update(chunk);
        sha1.update(chunk);
        sha256.update(chunk);
      }
      record.hashes = {
        quickXorHash: quickXor.digest(),
        sha1Hash: sha1.digest('hex').toUpperCase(),
        sha256Hash: sha256.digest('hex').toUpperCase(),
      };
    }
    return record.hashes;
  }

  function downloadUrl(record: DriveRecord): string {
    const tempauth = createHmac('sha256', downloadKey)
      .update(`${record.id}:${record.contentVersion}`)
      .digest('base64url');
    return `${fake.baseUrl}/_download/${record.id}?tempauth=${tempauth}`;
  }

  function identitySet(person: number): GraphJson {
    const [displayName, email] = PEOPLE[person % PEOPLE.length] ?? PEOPLE[0];
    return {
      user: {
        email,
        id: createHash('md5')
          .update(email)
          .digest('hex')
          .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
        displayName,
      },
    };
  }

  function driveItemJson(record: DriveRecord, forDelta = false): GraphJson {
    const parent = record.parentId === null ? undefined : items.get(record.parentId);
    const parentReference: GraphJson = { driveType: 'business', driveId };
    if (parent !== undefined) {
      parentReference.id = parent.id;
      if (parent.parentId !== null) parentReference.name = parent.name;
      if (!forDelta)
        parentReference.path = `/drive/root:${pathSegments(parent)
          .map((s) => `/${s}`)
          .join('')}`;
    }
    if (record.deleted) {
      return {
        '@odata.type': '#microsoft.graph.driveItem',
        id: record.id,
        name: record.name,
        lastModifiedDateTime: iso(record.modified),
        parentReference,
        deleted: { state: 'deleted' },
        ...(record.folder ? { folder: { childCount: 0 } } : { file: {} }),
      };
    }
    const segments = pathSegments(record);
    const json: GraphJson = {
      '@odata.etag': `"{${record.guid}},${record.version}"`,
      createdDateTime: iso(record.created),
      eTag: `"{${record.guid}},${record.version}"`,
      id: record.id,
      lastModifiedDateTime: iso(record.modified),
      name: record.name,
      webUrl: `${mySite}/Documents${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}`,
      cTag: `"c:{${record.guid}},${record.contentVersion}"`,
      size: sizeOf(record),
      createdBy: identitySet(record.author),
      lastModifiedBy: identitySet(record.author),
      parentReference,
      fileSystemInfo: { createdDateTime: iso(record.created), lastModifiedDateTime: iso(record.modified) },
    };
    if (record.parentId === null) {
      json.root = {};
      json.webUrl = `${mySite}/Documents`;
    }
    if (record.folder) {
      json.folder = { childCount: childRecords(record.id).length };
    } else {
      json['@microsoft.graph.downloadUrl'] = downloadUrl(record);
      json.file = { mimeType: record.mimeType, hashes: hashesOf(record) };
    }
    return json;
  }

  function touch(record: DriveRecord, content: boolean): void {
    seq += 1;
    record.seq = seq;
    record.version += 1;
    if (content) {
      record.contentVersion += 1;
      record.hashes = undefined;
    }
    record.modified = clock();
    folderSizes = null;
  }

  function uniqueName(parentId: string, name: string, except?: string): void {
    for (const child of childRecords(parentId)) {
      if (child.id !== except && child.name.toLowerCase() === name.toLowerCase()) {
        throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
      }
    }
  }

  function resolvePath(path: string): DriveRecord {
    let current = live(rootId);
    for (const raw of path.split('/').filter((s) => s !== '')) {
      const name = decodeURIComponent(raw).toLowerCase();
      const next = childRecords(current.id).find((c) => c.name.toLowerCase() === name);
      if (next === undefined) throw notFound('The resource could not be found.');
      current = next;
    }
    return current;
  }

  // --- Mail -------------------------------------------------------------------------------------
  const mailbox = `AAMkAG${rng.chars(B64URL, 38)}`;
  const folders: MailFolderRecord[] = [
    ['inbox', 'Inbox'],
    ['sentitems', 'Sent Items'],
    ['drafts', 'Drafts'],
    ['archive', 'Archive'],
    ['deleteditems', 'Deleted Items'],
  ].map(([wellKnownName, displayName]) => ({
    id: `${mailbox}AuAAAAAAEM${rng.chars(B64URL, 22)}AAA=`,
    displayName: displayName ?? '',
    wellKnownName: wellKnownName ?? '',
  }));
  /** Keyed by immutable id; `restIds` maps each current REST id to it. */
  const messages = new Map<string, MessageRecord>();
  const restIds = new Map<string, string>();
  /** What a move leaves behind in the source folder: its delta reports the old id `@removed`. */
  const movedOut: MessageRecord[] = [];
  const newMessageId = (): string => `${mailbox}BGAAAAAAEM${rng.chars(B64URL, 60)}AAA=`;
  const newChangeKey = (): string => `CQAAABYAAAA${rng.chars(B64URL, 24)}`;

  function folderOf(idOrName: string): MailFolderRecord {
    const folder = folders.find((f) => f.id === idOrName || f.wellKnownName === idOrName.toLowerCase());
    if (folder === undefined) throw outlookNotFound();
    return folder;
  }

  function insertMessage(input: NewMessage, received: number, sender: number): MessageRecord {
    const folder = folderOf(input.folder ?? 'inbox');
    const id = newMessageId();
    const record: MessageRecord = {
      id,
      // Derived, not drawn from the seeded generator, so seeded data stays as it was.
      immutableId: `${mailbox}BGAAAAAAEJ${createHash('sha256').update(id).digest('base64url')}AAA=`,
      folderId: folder.id,
      subject: input.subject ?? `${rng.pick(WORDS)} ${rng.pick(WORDS).toLowerCase()} update`,
      body:
        input.body ??
        `<html><body><p>Hi,</p><p>${Array.from({ length: rng.int(3, 12) }, () => rng.pick(WORDS).toLowerCase()).join(' ')}.</p></body></html>`,
      from:
        input.from !== undefined
          ? { name: input.from.split('@')[0] ?? input.from, address: input.from }
          : folder.wellKnownName === 'sentitems'
            ? { name: me.name, address: me.preferredUsername }
            : sender,
      to: (input.to ?? [me.preferredUsername]).map((address) => ({ name: address.split('@')[0] ?? address, address })),
      received,
      created: received,
      modified: received,
      isRead: input.isRead ?? rng.next() < 0.6,
      importance: rng.next() < 0.1 ? 'high' : 'normal',
      hasAttachments: rng.next() < 0.15,
      conversationId: `${mailbox}QAQ${rng.chars(B64URL, 24)}=`,
      changeKey: newChangeKey(),
      seq: 0,
      deleted: false,
    };
    messages.set(record.immutableId, record);
    restIds.set(record.id, record.immutableId);
    return record;
  }

  for (let i = 0; i < counts.messages; i++) {
    const r = rng.next();
    const folder = r < 0.7 ? 'inbox' : r < 0.85 ? 'archive' : 'sentitems';
    const received = SEED_EPOCH - i * rng.int(600, 90 * 60) * 1000;
    insertMessage({ folder }, received, rng.int(0, PEOPLE.length - 1));
  }

  function stripHtml(html: string): string {
    return html
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }

  /** Which id a request sees: `Prefer: IdType="ImmutableId"` (alone or among other preferences). */
  function wantsImmutableIds(ctx: Ctx): boolean {
    return /IdType\s*=\s*"?ImmutableId"?/i.test(String(ctx.req.headers.prefer ?? ''));
  }

  function messageJson(record: MessageRecord, immutableIds = true): GraphJson {
    const from =
      typeof record.from === 'number'
        ? { emailAddress: identitySetEmail(record.from) }
        : { emailAddress: { name: record.from.name, address: record.from.address } };
    return {
      '@odata.etag': `W/"${record.changeKey}"`,
      id: immutableIds ? record.immutableId : record.id,
      createdDateTime: iso(record.created),
      lastModifiedDateTime: iso(record.modified),
      changeKey: record.changeKey,
      categories: [],
      receivedDateTime: iso(record.received),
      sentDateTime: iso(record.received - 2000),
      hasAttachments: record.hasAttachments,
      internetMessageId: `<${record.immutableId.slice(-24, -4).replace(/[^A-Za-z0-9]/g, 'x')}@contoso.onmicrosoft.com>`,
      subject: record.subject,
      bodyPreview: stripHtml(record.body).slice(0, 255),
      importance: record.importance,
      parentFolderId: record.folderId,
      conversationId: record.conversationId,
      isDeliveryReceiptRequested: false,
      isReadReceiptRequested: false,
      isRead: record.isRead,
      isDraft: false,
      webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(record.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
      inferenceClassification: 'focused',
      body: { contentType: 'html', content: record.body },
      sender: from,
      from,
      toRecipients: record.to.map((t) => ({ emailAddress: { name: t.name, address: t.address } })),
      ccRecipients: [],
      bccRecipients: [],
      replyTo: [],
      flag: { flagStatus: 'notFlagged' },
    };
  }

  function identitySetEmail(person: number): GraphJson {
    const [name, address] = PEOPLE[person % PEOPLE.length] ?? PEOPLE[0];
    return { name, address };
  }

  function liveMessages(folderId?: string): MessageRecord[] {
    return [...messages.values()]
      .filter((m) => !m.deleted && (folderId === undefined || m.folderId === folderId))
      .sort((a, b) => messageKey(a).localeCompare(messageKey(b)));
  }

  function messageKey(record: MessageRecord): string {
    return `${String(9_999_999_999_999 - record.received).padStart(13, '0')}\u0000${record.id}`;
  }

  /** By either id; a REST id from before a move is gone, as in Exchange. */
  function liveMessage(id: string): MessageRecord {
    const record = messages.get(id) ?? messages.get(restIds.get(id) ?? '');
    if (record === undefined || record.deleted) throw outlookNotFound();
    return record;
  }

  /** Exchange moves by copying into the destination under a new REST id; the source folder keeps a tombstone. */
  function moveMessage(record: MessageRecord, destination: MailFolderRecord): MessageRecord {
    if (record.folderId === destination.id) return record;
    seq += 1;
    movedOut.push({ ...record, deleted: true, seq });
    restIds.delete(record.id);
    record.id = newMessageId();
    restIds.set(record.id, record.immutableId);
    record.folderId = destination.id;
    record.modified = clock();
    record.changeKey = newChangeKey();
    seq += 1;
    record.seq = seq;
    return record;
  }

  // --- Calendar ---------------------------------------------------------------------------------
  const events: EventRecord[] = [];
  for (let i = 0; i < counts.events; i++) {
    const isAllDay = rng.next() < 0.1;
    const start = isAllDay
      ? SEED_EPOCH + rng.int(-30, 60) * DAY
      : SEED_EPOCH + rng.int(-30, 60) * DAY + rng.int(16, 36) * 30 * 60_000;
    const created = start - rng.int(1, 20) * DAY;
    events.push({
      id: `${mailbox}BGAAAAAAENAAA${rng.chars(B64URL, 58)}AAA=`,
      subject: `${rng.pick(WORDS)} ${rng.pick(['sync', 'review', 'workshop', 'planning', '1:1', 'retro'])}`,
      start,
      end: isAllDay ? start + DAY : start + rng.int(1, 4) * 30 * 60_000,
      isAllDay,
      location: rng.pick(['Conf Room Adams', 'Conf Room Baker', 'Microsoft Teams Meeting', 'Cafe']),
      organizer: rng.int(0, PEOPLE.length - 1),
      attendees: Array.from({ length: rng.int(1, 5) }, () => rng.int(0, PEOPLE.length - 1)),
      created,
      modified: created + rng.int(0, 5) * DAY,
      iCalUId: `040000008200E00074C5B7101A82E008${rng.chars('0123456789ABCDEF', 80)}`,
      changeKey: newChangeKey(),
    });
  }
  events.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));

  function dateTimeTimeZone(ms: number): GraphJson {
    return { dateTime: `${new Date(ms).toISOString().slice(0, 23)}0000`, timeZone: 'UTC' };
  }

  function eventJson(record: EventRecord): GraphJson {
    return {
      '@odata.etag': `W/"${record.changeKey}"`,
      id: record.id,
      createdDateTime: new Date(record.created).toISOString(),
      lastModifiedDateTime: new Date(record.modified).toISOString(),
      changeKey: record.changeKey,
      categories: [],
      originalStartTimeZone: 'UTC',
      originalEndTimeZone: 'UTC',
      iCalUId: record.iCalUId,
      reminderMinutesBeforeStart: 15,
      isReminderOn: true,
      hasAttachments: false,
      subject: record.subject,
      bodyPreview: '',
      importance: 'normal',
      sensitivity: 'normal',
      isAllDay: record.isAllDay,
      isCancelled: false,
      isOrganizer: false,
      showAs: 'busy',
      type: 'singleInstance',
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(record.id)}&exvsurl=1&path=/calendar/item`,
      onlineMeetingUrl: null,
      isOnlineMeeting: record.location === 'Microsoft Teams Meeting',
      body: { contentType: 'html', content: '' },
      start: dateTimeTimeZone(record.start),
      end: dateTimeTimeZone(record.end),
      location: { displayName: record.location, locationType: 'default' },
      attendees: record.attendees.map((p) => ({
        type: 'required',
        status: { response: 'none', time: '0001-01-01T00:00:00Z' },
        emailAddress: identitySetEmail(p),
      })),
      organizer: { emailAddress: identitySetEmail(record.organizer) },
    };
  }

  function liveEvent(id: string): EventRecord {
    const record = events.find((e) => e.id === id);
    if (record === undefined) throw outlookNotFound();
    return record;
  }

  // --- OneNote ----------------------------------------------------------------------------------
  const notebooks: NotebookRecord[] = [];
  const sections: SectionRecord[] = [];
  const pages: PageRecord[] = [];
  const oneNoteId = (): string => `1-${rng.guid()}`;
  for (let n = 0; n < counts.notebooks; n++) {
    const created = SEED_EPOCH - rng.int(100, 300) * DAY;
    const notebook: NotebookRecord = {
      id: oneNoteId(),
      displayName: n === 0 ? `${me.name.split(' ')[0]}'s Notebook` : `${rng.pick(WORDS)} Notebook ${n + 1}`,
      created,
      modified: created + rng.int(1, 90) * DAY,
      isDefault: n === 0,
    };
    notebooks.push(notebook);
    const notebookSections: SectionRecord[] = [];
    for (let s = 0; s < Math.max(1, counts.sectionsPerNotebook); s++) {
      const section: SectionRecord = {
        id: oneNoteId(),
        notebookId: notebook.id,
        displayName: s === 0 ? 'Quick Notes' : `${rng.pick(WORDS)} ${s + 1}`,
        created: created + s * DAY,
        modified: created + rng.int(1, 90) * DAY,
      };
      sections.push(section);
      notebookSections.push(section);
    }
    for (let p = 0; p < counts.pagesPerNotebook; p++) {
      const section = notebookSections[p % notebookSections.length];
      if (section === undefined) continue;
      const pageCreated = section.created + rng.int(0, 90) * DAY;
      const title = `${rng.pick(WORDS)} notes ${p + 1}`;
      pages.push({
        id: `${oneNoteId()}!${rng.int(1, 99)}-${section.id.slice(2)}`,
        sectionId: section.id,
        title,
        created: pageCreated,
        modified: pageCreated + rng.int(0, 30) * DAY,
        order: p,
        body: `<p>${Array.from({ length: rng.int(5, 30) }, () => rng.pick(WORDS).toLowerCase()).join(' ')}</p>`,
      });
    }
  }

  function oneNoteLinks(kind: string, id: string, name: string): GraphJson {
    return {
      oneNoteClientUrl: { href: `onenote:${mySite}/Documents/Notebooks/${encodeURIComponent(name)}` },
      oneNoteWebUrl: { href: `${mySite}/Documents/Notebooks/${encodeURIComponent(name)}?${kind}=${id}` },
    };
  }

  function notebookJson(record: NotebookRecord): GraphJson {
    const self = `${fake.baseUrl}/v1.0/users/${me.oid}/onenote/notebooks/${record.id}`;
    return {
      id: record.id,
      self,
      createdDateTime: new Date(record.created).toISOString(),
      displayName: record.displayName,
      lastModifiedDateTime: new Date(record.modified).toISOString(),
      isDefault: record.isDefault,
      userRole: 'Owner',
      isShared: false,
      sectionsUrl: `${self}/sections`,
      sectionGroupsUrl: `${self}/sectionGroups`,
      createdBy: { user: { id: me.oid, displayName: me.name } },
      lastModifiedBy: { user: { id: me.oid, displayName: me.name } },
      links: oneNoteLinks('notebook', record.id, record.displayName),
    };
  }

  function sectionJson(record: SectionRecord): GraphJson {
    const self = `${fake.baseUrl}/v1.0/users/${me.oid}/onenote/sections/${record.id}`;
    const notebook = notebooks.find((n) => n.id === record.notebookId);
    return {
      id: record.id,
      self,
      createdDateTime: new Date(record.created).toISOString(),
      displayName: record.displayName,
      lastModifiedDateTime: new Date(record.modified).toISOString(),
      isDefault: record.displayName === 'Quick Notes',
      pagesUrl: `${self}/pages`,
      createdBy: { user: { id: me.oid, displayName: me.name } },
      lastModifiedBy: { user: { id: me.oid, displayName: me.name } },
      links: oneNoteLinks('section', record.id, record.displayName),
      parentNotebook: notebook === undefined ? null : { id: notebook.id, displayName: notebook.displayName, self },
    };
  }

  function pageJson(record: PageRecord): GraphJson {
    const self = `${fake.baseUrl}/v1.0/users/${me.oid}/onenote/pages/${record.id}`;
    const section = sections.find((s) => s.id === record.sectionId);
    return {
      id: record.id,
      self,
      createdDateTime: new Date(record.created).toISOString(),
      title: record.title,
      createdByAppId: '',
      contentUrl: `${self}/content`,
      lastModifiedDateTime: new Date(record.modified).toISOString(),
      level: 0,
      order: record.order,
      links: oneNoteLinks('page', record.id, record.title),
      parentSection:
        section === undefined
          ? null
          : {
              id: section.id,
              displayName: section.displayName,
              self: `${fake.baseUrl}/v1.0/users/${me.oid}/onenote/sections/${section.id}`,
            },
      // As returned with $expand=parentNotebook (Graph includes it in the page's navigation links).
      parentNotebook: (() => {
        const notebook = section === undefined ? undefined : notebooks.find((n) => n.id === section.notebookId);
        return notebook === undefined
          ? null
          : {
              id: notebook.id,
              displayName: notebook.displayName,
              self: `${fake.baseUrl}/v1.0/users/${me.oid}/onenote/notebooks/${notebook.id}`,
            };
      })(),
    };
  }

  // --- HTTP plumbing ----------------------------------------------------------------------------

  function innerError(ctx: { requestId: string; clientRequestId: string }): GraphJson {
    return { date: iso(clock()), 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId };
  }

  function sendJson(
    ctx: Pick<Ctx, 'res' | 'requestId' | 'clientRequestId'>,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    ctx.res.writeHead(status, {
      'content-type':
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      'request-id': ctx.requestId,
      'client-request-id': ctx.clientRequestId,
      ...headers,
    });
    ctx.res.end(JSON.stringify(body));
  }

  function sendError(ctx: Pick<Ctx, 'res' | 'requestId' | 'clientRequestId'>, error: GraphError): void {
    sendJson(
      ctx,
      error.status,
      { error: { code: error.code, message: error.message, innerError: innerError(ctx) } },
      error.headers,
    );
  }

  function selectFields(ctx: Ctx, json: GraphJson): GraphJson {
    const select = ctx.url.searchParams.get('$select');
    if (select === null || select.trim() === '') return json;
    const wanted = new Set(select.split(',').map((s) => s.trim()));
    const out: GraphJson = {};
    for (const [key, value] of Object.entries(json)) {
      if (wanted.has(key) || key === 'id' || key.startsWith('@odata.') || key === 'deleted' || key === '@removed') {
        out[key] = value;
      }
    }
    return out;
  }

  function topOf(ctx: Ctx, fallback: number, max: number): number {
    const prefer = /odata\.maxpagesize=(\d+)/.exec(String(ctx.req.headers.prefer ?? ''));
    const raw = ctx.url.searchParams.get('$top') ?? prefer?.[1];
    if (raw === undefined || raw === null) return fallback;
    const top = Number(raw);
    if (!Number.isInteger(top) || top < 1) {
      throw new GraphError(400, 'BadRequest', `Invalid value '${raw}' for query option '$top'.`);
    }
    return Math.min(top, max);
  }

  /** Query string as Graph writes it: `$` of system query options left unescaped. */
  function queryString(params: Iterable<[string, string]>): string {
    const encode = (v: string): string => encodeURIComponent(v).replace(/%24/g, '$').replace(/%2C/gi, ',');
    const parts = [...params].map(([k, v]) => `${encode(k)}=${encode(v)}`);
    return parts.length === 0 ? '' : `?${parts.join('&')}`;
  }

  function link(ctx: Ctx, params: Record<string, string>, drop: string[] = []): string {
    const entries: Array<[string, string]> = [];
    for (const [key, value] of ctx.url.searchParams) {
      if (!drop.includes(key) && !(key in params)) entries.push([key, value]);
    }
    for (const [key, value] of Object.entries(params)) entries.push([key, value]);
    return `${fake.baseUrl}/v1.0${ctx.path}${queryString(entries)}`;
  }

  function context(fragment: string): string {
    return `${fake.baseUrl}/v1.0/$metadata#${fragment}`;
  }

  /** A page of a sorted collection: `$skiptoken` (opaque cursor) or `$skip` (offset). */
  function page<T>(
    ctx: Ctx,
    all: T[],
    keyOf: (t: T) => string,
    toJson: (t: T) => GraphJson,
    defaultTop: number,
    maxTop: number,
    contextFragment: string,
  ): void {
    const top = topOf(ctx, defaultTop, maxTop);
    const skiptoken = ctx.url.searchParams.get('$skiptoken');
    const skipRaw = ctx.url.searchParams.get('$skip');
    let rest = all;
    let offset: number | null = null;
    if (skiptoken !== null) {
      const decoded = unb64url(skiptoken);
      if (typeof decoded !== 'object' || decoded === null || !('k' in decoded) || typeof decoded.k !== 'string') {
        throw new GraphError(400, 'BadRequest', 'Invalid $skiptoken.');
      }
      const after = decoded.k;
      rest = all.filter((t) => keyOf(t) > after);
    } else if (skipRaw !== null) {
      offset = Number(skipRaw);
      if (!Number.isInteger(offset) || offset < 0) {
        throw new GraphError(400, 'BadRequest', `Invalid value '${skipRaw}' for query option '$skip'.`);
      }
      rest = all.slice(offset);
    }
    const slice = rest.slice(0, top);
    const body: GraphJson = { '@odata.context': context(contextFragment) };
    if (ctx.url.searchParams.get('$count') === 'true') body['@odata.count'] = all.length;
    body.value = slice.map((t) => selectFields(ctx, toJson(t)));
    const last = slice.at(-1);
    if (rest.length > top && last !== undefined) {
      body['@odata.nextLink'] =
        offset !== null
          ? link(ctx, { $skip: String(offset + top) })
          : link(ctx, { $skiptoken: b64url({ k: keyOf(last) }) }, ['$skip']);
    }
    sendJson(ctx, 200, body);
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      throw new GraphError(
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
  }

  function requireScope(ctx: Ctx, anyOf: string[]): void {
    if (!options.enforceScopes) return;
    const granted = new Set((ctx.claims.scp ?? '').split(' ').map((s) => s.toLowerCase()));
    const roles = new Set((ctx.claims.roles ?? []).map((s) => s.toLowerCase()));
    if (anyOf.some((s) => granted.has(s.toLowerCase()) || roles.has(s.toLowerCase()))) return;
    const drive = ctx.path.startsWith('/me/drive');
    throw new GraphError(
      403,
      drive ? 'accessDenied' : 'ErrorAccessDenied',
      drive ? 'Access denied' : 'Access is denied. Check credentials and try again.',
    );
  }

  // --- Delta ------------------------------------------------------------------------------------

  interface DeltaState {
    e: number;
    /** Changes after this sequence number (-1: initial sync). */
    s: number;
    /** Up to this sequence number (snapshot of the current round). */
    u: number;
    /** Cursor: last key sent in this round. */
    k?: string;
    /** Mail folder id, for message delta. */
    f?: string;
  }

  /**
   * A token from an earlier epoch (see `invalidateDeltaTokens`) is gone, as Graph answers when it
   * can no longer list changes for a token. Drive delta: 410 `resyncChangesApplyDifferences` with a
   * `Location` that starts a fresh enumeration. Outlook delta: 410 `syncStateNotFound`.
   */
  function decodeDelta(token: string, gone: { folderId?: string; restart?: string }): DeltaState {
    const decoded = unb64url(token);
    const resync =
      gone.restart !== undefined
        ? new GraphError(
            410,
            'resyncChangesApplyDifferences',
            "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
            { location: gone.restart },
          )
        : new GraphError(
            410,
            'syncStateNotFound',
            'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
          );
    if (typeof decoded !== 'object' || decoded === null) throw resync;
    const state = decoded as Partial<DeltaState>;
    if (state.e !== deltaEpoch || typeof state.s !== 'number' || typeof state.u !== 'number' || state.s > seq) {
      throw resync;
    }
    if (state.f !== gone.folderId) throw resync;
    return { e: state.e, s: state.s, u: state.u, k: state.k, f: state.f };
  }

  let failingEnumerationPages = 0;

  function driveDelta(ctx: Ctx, token: string | null): void {
    let state: DeltaState;
    if (token === null) state = { e: deltaEpoch, s: -1, u: seq };
    else if (token === 'latest') state = { e: deltaEpoch, s: seq, u: seq };
    else {
      state = decodeDelta(token, { restart: `${fake.baseUrl}/v1.0/me/drive/root/delta` });
      if (state.k === undefined) state = { e: state.e, s: state.s, u: seq };
    }
    const key = (r: DriveRecord): string => `${String(r.depth).padStart(4, '0')}:${r.id}`;
    const cursor = state.k;
    if (state.s < 0 && cursor !== undefined && failingEnumerationPages > 0) {
      failingEnumerationPages -= 1;
      throw new GraphError(
        503,
        'serviceNotAvailable',
        'The service is temporarily unavailable. Please try again later.',
      );
    }
    const changed = [...items.values()]
      .filter((r) => r.seq > state.s && r.seq <= state.u && (state.s >= 0 || !r.deleted))
      .filter((r) => cursor === undefined || key(r) > cursor)
      .sort((a, b) => key(a).localeCompare(key(b)));
    const top = topOf(ctx, 200, 1000);
    const slice = changed.slice(0, top);
    const body: GraphJson = {
      '@odata.context': context('Collection(driveItem)'),
      value: slice.map((r) => selectFields(ctx, driveItemJson(r, true))),
    };
    const base = `${fake.baseUrl}/v1.0/me/drive/root/delta`;
    const last = slice.at(-1);
    const keep: Array<[string, string]> = [...ctx.url.searchParams].filter(([k]) => k === '$select' || k === '$top');
    if (changed.length > top && last !== undefined) {
      body['@odata.nextLink'] = `${base}${queryString([['token', b64url({ ...state, k: key(last) })], ...keep])}`;
    } else {
      const next = b64url({ e: deltaEpoch, s: state.u, u: state.u });
      body['@odata.deltaLink'] = `${base}${queryString([['token', next], ...keep.filter(([k]) => k === '$select')])}`;
    }
    sendJson(ctx, 200, body);
  }

  function messageDelta(ctx: Ctx, folder: MailFolderRecord): void {
    const skiptoken = ctx.url.searchParams.get('$skiptoken');
    const deltatoken = ctx.url.searchParams.get('$deltatoken');
    let state: DeltaState;
    if (skiptoken !== null) state = decodeDelta(skiptoken, { folderId: folder.id });
    else if (deltatoken !== null) {
      const previous = decodeDelta(deltatoken, { folderId: folder.id });
      state = { e: previous.e, s: previous.s, u: seq, f: folder.id };
    } else state = { e: deltaEpoch, s: -1, u: seq, f: folder.id };
    const cursor = state.k;
    if (state.s < 0 && cursor !== undefined && failingEnumerationPages > 0) {
      failingEnumerationPages -= 1;
      throw new GraphError(503, 'ErrorServiceUnavailable', 'The service is temporarily unavailable.');
    }
    const immutableIds = wantsImmutableIds(ctx);
    const changed = [...messages.values(), ...movedOut]
      .filter((m) => m.folderId === folder.id && m.seq > state.s && m.seq <= state.u && (state.s >= 0 || !m.deleted))
      .filter((m) => cursor === undefined || messageKey(m) > cursor)
      .sort((a, b) => messageKey(a).localeCompare(messageKey(b)));
    const top = topOf(ctx, 10, 1000);
    const slice = changed.slice(0, top);
    const body: GraphJson = {
      '@odata.context': context('Collection(message)'),
      value: slice.map((m) =>
        m.deleted
          ? {
              '@odata.type': '#microsoft.graph.message',
              id: immutableIds ? m.immutableId : m.id,
              '@removed': { reason: 'deleted' },
            }
          : { '@odata.type': '#microsoft.graph.message', ...selectFields(ctx, messageJson(m, immutableIds)) },
      ),
    };
    const last = slice.at(-1);
    const drop = ['$skiptoken', '$deltatoken'];
    if (changed.length > top && last !== undefined) {
      body['@odata.nextLink'] = link(ctx, { $skiptoken: b64url({ ...state, k: messageKey(last) }) }, drop);
    } else {
      body['@odata.deltaLink'] = link(
        ctx,
        { $deltatoken: b64url({ e: deltaEpoch, s: state.u, u: state.u, f: folder.id }) },
        drop,
      );
    }
    sendJson(ctx, 200, body);
  }

  // --- SharePoint sites -------------------------------------------------------------------------
  // Team sites with one document library each. Library items live in their own (flat) store and
  // share the global change sequence, so `/drives/{id}/root/delta` works like the OneDrive delta.
  const sharepointServer = options.sharepointRest ? createServer() : undefined;
  if (sharepointServer !== undefined) {
    sharepointServer.listen(0, '127.0.0.1');
    await once(sharepointServer, 'listening');
  }
  const sharepointHost =
    sharepointServer !== undefined
      ? `127.0.0.1:${(sharepointServer.address() as AddressInfo).port}`
      : (options.sharepointHost ?? 'contoso.sharepoint.com');
  // The loopback SharePoint speaks plain HTTP; the real one is https://<tenant>.sharepoint.com.
  const sharepointOrigin = `${sharepointServer !== undefined ? 'http' : 'https'}://${sharepointHost}`;
  const sharepointRequests: Array<{ url: string; status: number; audience: string | null }> = [];
  let sharepointForcedStatus: number | null = null;
  // Graph's `sites?search=` is known to miss sites that SharePoint search finds.
  const missedByGraphSearch = new Set<string>();
  interface SiteRecord {
    id: string;
    name: string;
    displayName: string;
    created: number;
    driveId: string;
    rootId: string;
  }
  interface LibraryFile {
    id: string;
    siteId: string;
    name: string;
    size: number;
    created: number;
    modified: number;
    seq: number;
    deleted: boolean;
    guid: string;
    version: number;
    author: number;
  }
  const siteRecords: SiteRecord[] = [];
  const libraryFiles = new Map<string, LibraryFile>();
  const rootSiteId = `${sharepointHost},${rng.guid()},${rng.guid()}`;
  for (let i = 0; i < counts.sites; i++) {
    const displayName = `${rng.pick(WORDS)} team ${i + 1}`;
    const site: SiteRecord = {
      id: `${sharepointHost},${rng.guid()},${rng.guid()}`,
      name: displayName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      displayName,
      created: SEED_EPOCH - rng.int(30, 300) * DAY,
      driveId: `b!${rng.chars(B64URL, 64)}`,
      rootId: newItemId(),
    };
    siteRecords.push(site);
    for (let f = 0; f < counts.filesPerSite; f++) {
      const [ext] = rng.pick(FILE_TYPES);
      const created = site.created + rng.int(0, 200) * DAY;
      const file: LibraryFile = {
        id: newItemId(),
        siteId: site.id,
        name: `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${String(f + 1).padStart(4, '0')}.${ext}`,
        size: rng.int(500, 400_000),
        created,
        modified: created + rng.int(0, 30) * DAY,
        seq: 0,
        deleted: false,
        guid: rng.guid().toUpperCase(),
        version: 1,
        author: rng.int(0, PEOPLE.length - 1),
      };
      libraryFiles.set(file.id, file);
    }
  }
  const siteWebUrl = (site: SiteRecord) => `${sharepointOrigin}/sites/${site.name}`;

  function siteJson(site: SiteRecord): GraphJson {
    return {
      createdDateTime: iso(site.created),
      description: `${site.displayName} site`,
      id: site.id,
      lastModifiedDateTime: iso(site.created + 10 * DAY),
      name: site.name,
      webUrl: siteWebUrl(site),
      displayName: site.displayName,
      siteCollection: { hostname: sharepointHost },
    };
  }

  function libraryJson(site: SiteRecord): GraphJson {
    return {
      createdDateTime: iso(site.created),
      description: '',
      id: site.driveId,
      lastModifiedDateTime: iso(site.created + 10 * DAY),
      name: 'Documents',
      webUrl: `${siteWebUrl(site)}/Shared%20Documents`,
      driveType: 'documentLibrary',
      createdBy: { user: { displayName: 'System Account' } },
      owner: { group: { id: rng.guid(), displayName: `${site.displayName} Owners` } },
      quota: { deleted: 0, remaining: 27487790694400, state: 'normal', total: 27487790694400, used: 0 },
    };
  }

  function siteOf(id: string): SiteRecord {
    const site = siteRecords.find((s) => s.id === id);
    if (site === undefined) throw new GraphError(404, 'itemNotFound', 'Requested site could not be found');
    return site;
  }

  function libraryFileJson(file: LibraryFile, forDelta = false): GraphJson {
    const site = siteOf(file.siteId);
    const parentReference: GraphJson = {
      driveType: 'documentLibrary',
      driveId: site.driveId,
      id: site.rootId,
      siteId: site.id,
      ...(forDelta ? {} : { path: `/drives/${site.driveId}/root:` }),
    };
    if (file.deleted) return { id: file.id, name: file.name, parentReference, deleted: { state: 'deleted' }, file: {} };
    return {
      '@odata.etag': `"{${file.guid}},${file.version}"`,
      createdDateTime: iso(file.created),
      eTag: `"{${file.guid}},${file.version}"`,
      id: file.id,
      lastModifiedDateTime: iso(file.modified),
      name: file.name,
      webUrl: `${siteWebUrl(site)}/Shared%20Documents/${encodeURIComponent(file.name)}`,
      size: file.size,
      createdBy: identitySet(file.author),
      lastModifiedBy: identitySet(file.author),
      parentReference,
      file: { mimeType: mimeOf(file.name) },
      fileSystemInfo: { createdDateTime: iso(file.created), lastModifiedDateTime: iso(file.modified) },
    };
  }

  function libraryRootJson(site: SiteRecord): GraphJson {
    return {
      id: site.rootId,
      name: 'root',
      root: {},
      folder: { childCount: liveLibraryFiles(site.id).length },
      webUrl: `${siteWebUrl(site)}/Shared%20Documents`,
      parentReference: { driveType: 'documentLibrary', driveId: site.driveId, siteId: site.id },
    };
  }

  function liveLibraryFiles(siteId?: string): LibraryFile[] {
    return [...libraryFiles.values()]
      .filter((f) => !f.deleted && (siteId === undefined || f.siteId === siteId))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  function liveLibraryFile(id: string): LibraryFile {
    const file = libraryFiles.get(id);
    if (file === undefined || file.deleted) throw new Error(`no library file ${id}`);
    return file;
  }

  function libraryDelta(ctx: Ctx, site: SiteRecord): void {
    const token = ctx.url.searchParams.get('token');
    let state: DeltaState;
    if (token === null) state = { e: deltaEpoch, s: -1, u: seq, f: site.driveId };
    else if (token === 'latest') state = { e: deltaEpoch, s: seq, u: seq, f: site.driveId };
    else {
      state = decodeDelta(token, {
        folderId: site.driveId,
        restart: `${fake.baseUrl}/v1.0/drives/${site.driveId}/root/delta`,
      });
      if (state.k === undefined) state = { e: state.e, s: state.s, u: seq, f: site.driveId };
    }
    const cursor = state.k;
    // The initial enumeration starts with the library's root, as OneDrive's does.
    const rootEntry = state.s < 0 && cursor === undefined;
    const changed = [...libraryFiles.values()]
      .filter((f) => f.siteId === site.id && f.seq > state.s && f.seq <= state.u && (state.s >= 0 || !f.deleted))
      .filter((f) => cursor === undefined || f.id > cursor)
      .sort((a, b) => a.id.localeCompare(b.id));
    const top = topOf(ctx, 200, 1000);
    const slice = changed.slice(0, rootEntry ? top - 1 : top);
    const body: GraphJson = {
      '@odata.context': context('Collection(driveItem)'),
      value: [
        ...(rootEntry ? [libraryRootJson(site)] : []),
        ...slice.map((f) => selectFields(ctx, libraryFileJson(f, true))),
      ],
    };
    const base = `${fake.baseUrl}/v1.0/drives/${site.driveId}/root/delta`;
    const keep: Array<[string, string]> = [...ctx.url.searchParams].filter(([k]) => k === '$select' || k === '$top');
    const last = slice.at(-1);
    if (changed.length > slice.length && last !== undefined) {
      body['@odata.nextLink'] = `${base}${queryString([['token', b64url({ ...state, k: last.id })], ...keep])}`;
    } else {
      const next = b64url({ e: deltaEpoch, s: state.u, u: state.u, f: site.driveId });
      body['@odata.deltaLink'] = `${base}${queryString([['token', next], ...keep.filter(([k]) => k === '$select')])}`;
    }
    sendJson(ctx, 200, body);
  }

  /** SharePoint REST (search only): `/_api/search/query?querytext='contentclass:STS_Site'…`, nometadata JSON. */
  function serveSharePoint(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', sharepointOrigin);
    const fail = (status: number, code: string, message: string, audience: string | null) => {
      sharepointRequests.push({ url: url.pathname + url.search, status, audience });
      res.writeHead(status, { 'content-type': 'application/json;odata=nometadata;charset=utf-8' });
      res.end(JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: message } } }));
    };
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const claims = bearer === undefined ? null : identity.verifyAccessToken(bearer);
    const audience = claims === null ? null : String(claims.aud);
    if (claims === null || audience !== `https://${sharepointHost}`) {
      // SharePoint answers a Graph token (wrong audience) or none with 401 and this body.
      fail(401, '-2147024891, System.UnauthorizedAccessException', 'Invalid audience Uri or expired token.', audience);
      return;
    }
    if (sharepointForcedStatus !== null) {
      fail(sharepointForcedStatus, '-2147024891, System.UnauthorizedAccessException', 'Access denied.', audience);
      return;
    }
    if (req.method !== 'GET' || url.pathname !== '/_api/search/query') {
      fail(
        404,
        '-1, Microsoft.SharePoint.Client.ResourceNotFoundException',
        'Cannot find resource for the request.',
        audience,
      );
      return;
    }
    const querytext = (url.searchParams.get('querytext') ?? '').replace(/^'|'$/g, '');
    if (!/contentclass:STS_Site/i.test(querytext)) {
      fail(
        400,
        '-1, Microsoft.SharePoint.Client.InvalidClientQueryException',
        'Only site queries are served here.',
        audience,
      );
      return;
    }
    const rowlimit = Math.min(Number(url.searchParams.get('rowlimit') ?? 10) || 10, 500);
    const startrow = Number(url.searchParams.get('startrow') ?? 0) || 0;
    const rows = siteRecords.slice(startrow, startrow + rowlimit).map((site) => {
      const [, siteGuid, webGuid] = site.id.split(',');
      const cell = (Key: string, Value: string) => ({ Key, Value, ValueType: 'Edm.String' });
      return {
        Cells: [
          cell('Title', site.displayName),
          cell('Path', siteWebUrl(site)),
          cell('SiteId', siteGuid ?? ''),
          cell('WebId', webGuid ?? ''),
          cell('contentclass', 'STS_Site'),
        ],
      };
    });
    sharepointRequests.push({ url: url.pathname + url.search, status: 200, audience });
    res.writeHead(200, { 'content-type': 'application/json;odata=nometadata;charset=utf-8' });
    res.end(
      JSON.stringify({
        ElapsedTime: 12,
        PrimaryQueryResult: {
          RelevantResults: {
            RowCount: rows.length,
            TotalRows: siteRecords.length,
            TotalRowsIncludingDuplicates: siteRecords.length,
            Table: { Rows: rows },
          },
        },
      }),
    );
  }
  sharepointServer?.on('request', serveSharePoint);

  // --- Routes -----------------------------------------------------------------------------------

  async function serveContent(ctx: Ctx, record: DriveRecord, direct: boolean): Promise<void> {
    if (record.folder) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
    if (!direct) {
      ctx.res.writeHead(302, {
        location: downloadUrl(record),
        'request-id': ctx.requestId,
        'client-request-id': ctx.clientRequestId,
      });
      ctx.res.end();
      return;
    }
    await streamFile(ctx.req, ctx.res, record);
  }

  async function streamFile(req: IncomingMessage, res: ServerResponse, record: DriveRecord): Promise<void> {
    let start = 0;
    let end = record.size;
    let status = 200;
    const headers: Record<string, string> = {
      'content-type': record.mimeType,
      'accept-ranges': 'bytes',
      etag: `"{${record.guid}},${record.version}"`,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(record.name)}`,
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range !== null && (range[1] !== '' || range[2] !== '')) {
      if (range[1] === '') {
        start = Math.max(0, record.size - Number(range[2]));
      } else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(record.size, Number(range[2]) + 1);
      }
      if (start >= record.size || start >= end) {
        res.writeHead(416, { 'content-range': `bytes */${record.size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${record.size}`;
    }
    headers['content-length'] = String(end - start);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(Readable.from(contentChunks(record, start, end)), res);
  }

  async function route(ctx: Ctx): Promise<void> {
    const method = ctx.req.method ?? 'GET';
    let path = ctx.path.replace(/\/$/, '');
    // Aliases: /users/{me}/… and /drives/{driveId}/… address the same data as /me/…
    path = path.replace(
      new RegExp(`^/users/(${me.oid}|${me.preferredUsername.replace(/[.]/g, '\\.')})(?=/|$)`, 'i'),
      '/me',
    );
    path = path.replace(`/drives/${driveId}`, '/me/drive');
    const isGet = method === 'GET' || method === 'HEAD';
    const m = (re: RegExp): RegExpExecArray | null => re.exec(path);
    let match: RegExpExecArray | null;

    if (path.startsWith('/me') && ctx.claims.idtyp === 'app') {
      throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    }

    if (path === '/me' && isGet) {
      requireScope(ctx, ['User.Read', 'User.ReadBasic.All', 'User.Read.All']);
      const [given, ...surname] = me.name.split(' ');
      const json: GraphJson = {
        '@odata.context': context('users/$entity'),
        businessPhones: [],
        displayName: me.name,
        givenName: given ?? null,
        jobTitle: null,
        mail: me.preferredUsername,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: 'en-US',
        surname: surname.join(' ') || null,
        userPrincipalName: me.preferredUsername,
        id: me.oid,
      };
      sendJson(ctx, 200, selectFields(ctx, json));
      return;
    }

    // ---- SharePoint sites and document libraries
    if (path === '/sites/root' && isGet) {
      requireScope(ctx, ['Sites.Read.All', 'Sites.ReadWrite.All']);
      sendJson(ctx, 200, {
        '@odata.context': context('sites/$entity'),
        createdDateTime: iso(SEED_EPOCH - 500 * DAY),
        description: '',
        id: rootSiteId,
        lastModifiedDateTime: iso(SEED_EPOCH),
        name: '',
        webUrl: sharepointOrigin,
        displayName: 'Communication site',
        root: {},
        siteCollection: { hostname: sharepointHost },
      });
      return;
    }
    if ((path === '/sites' || path === '/me/followedSites') && isGet) {
      requireScope(ctx, ['Sites.Read.All', 'Sites.ReadWrite.All']);
      const search = ctx.url.searchParams.get('search');
      if (path === '/sites' && search === null)
        throw new GraphError(400, 'invalidRequest', 'Listing sites requires the search query option, e.g. search=*');
      const needle = (search ?? '*').replace(/^"|"$/g, '').toLowerCase();
      const found = siteRecords.filter(
        (site) =>
          !missedByGraphSearch.has(site.id) &&
          (needle === '*' || needle === '' || site.displayName.toLowerCase().includes(needle)),
      );
      page(ctx, found, (site) => site.id, siteJson, 100, 500, 'sites');
      return;
    }
    const siteMatch = m(/^\/sites\/([^/]+)$/);
    if (siteMatch !== null && isGet) {
      requireScope(ctx, ['Sites.Read.All', 'Sites.ReadWrite.All']);
      sendJson(ctx, 200, {
        '@odata.context': context('sites/$entity'),
        ...siteJson(siteOf(decodeURIComponent(siteMatch[1] ?? ''))),
      });
      return;
    }
    const siteDrives = m(/^\/sites\/([^/]+)\/drives$/);
    if (siteDrives !== null && isGet) {
      requireScope(ctx, ['Sites.Read.All', 'Sites.ReadWrite.All', 'Files.Read.All']);
      const site = siteOf(decodeURIComponent(siteDrives[1] ?? ''));
      page(ctx, [site], (s) => s.driveId, libraryJson, 100, 500, 'drives');
      return;
    }
    if (path === '/me/drives' && isGet) {
      requireScope(ctx, ['Files.Read', 'Files.Read.All', 'Sites.Read.All']);
      sendJson(ctx, 200, {
        '@odata.context': context('drives'),
        value: [{ id: driveId, driveType: 'business', name: 'OneDrive', webUrl: `${mySite}/Documents` }],
      });
      return;
    }
    const libraryMatch = m(/^\/drives\/([^/]+)(\/.*)?$/);
    if (libraryMatch !== null) {
      const site = siteRecords.find((s) => s.driveId === decodeURIComponent(libraryMatch[1] ?? ''));
      if (site !== undefined) {
        requireScope(ctx, ['Files.Read.All', 'Sites.Read.All', 'Sites.ReadWrite.All']);
        if (!isGet)
          throw new GraphError(405, 'invalidRequest', 'The request method is not supported for this resource.');
        const rest = libraryMatch[2] ?? '';
        if (rest === '') {
          sendJson(ctx, 200, { '@odata.context': context('drives/$entity'), ...libraryJson(site) });
          return;
        }
        if (rest === '/root/delta') {
          libraryDelta(ctx, site);
          return;
        }
        if (rest === '/root') {
          sendJson(ctx, 200, libraryRootJson(site));
          return;
        }
        const item = /^\/items\/([^/]+)$/.exec(rest);
        const file = item ? libraryFiles.get(decodeURIComponent(item[1] ?? '')) : undefined;
        if (file === undefined || file.deleted || file.siteId !== site.id)
          throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
        sendJson(ctx, 200, selectFields(ctx, libraryFileJson(file)));
        return;
      }
      // Neither a site library nor the user's OneDrive (rewritten to /me/drive above): gone or never there.
      throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
    }

    // ---- Drive
    if (path.startsWith('/me/drive')) {
      requireScope(ctx, ['Files.Read', 'Files.ReadWrite', 'Files.Read.All', 'Files.ReadWrite.All', 'Sites.Read.All']);
      if (!isGet) throw new GraphError(405, 'invalidRequest', 'The request method is not supported for this resource.');
      if (path === '/me/drive') {
        const total = sizeOf(root);
        sendJson(
          ctx,
          200,
          selectFields(ctx, {
            '@odata.context': context('drives/$entity'),
            createdDateTime: iso(root.created),
            description: '',
            id: driveId,
            lastModifiedDateTime: iso(root.modified),
            name: 'OneDrive',
            webUrl: `${mySite}/Documents`,
            driveType: 'business',
            createdBy: { user: { displayName: 'System Account' } },
            lastModifiedBy: { user: { email: me.preferredUsername, id: me.oid, displayName: me.name } },
            owner: { user: { email: me.preferredUsername, id: me.oid, displayName: me.name } },
            quota: {
              deleted: 0,
              remaining: 1_099_511_627_776 - total,
              state: 'normal',
              total: 1_099_511_627_776,
              used: total,
            },
          }),
        );
        return;
      }
      const deltaCall = m(/^\/me\/drive\/root\/delta\(token='?([^')]*)'?\)$/);
      if (path === '/me/drive/root/delta' || path === '/me/drive/delta' || deltaCall !== null) {
        const token = deltaCall?.[1] ?? ctx.url.searchParams.get('token');
        driveDelta(ctx, token === null ? null : decodeURIComponent(token));
        return;
      }
      let target: DriveRecord | undefined;
      let rest = '';
      const byPath = m(/^\/me\/drive\/root:(\/[^:]*):?(\/.*)?$/);
      const byRoot = m(/^\/me\/drive\/root(\/.*)?$/);
      const byId = m(/^\/me\/drive\/items\/([^/]+)(\/.*)?$/);
      if (byPath !== null) {
        target = resolvePath(byPath[1] ?? '');
        rest = byPath[2] ?? '';
      } else if (byRoot !== null) {
        target = live(rootId);
        rest = byRoot[1] ?? '';
      } else if (byId !== null) {
        target = live(decodeURIComponent(byId[1] ?? ''));
        rest = byId[2] ?? '';
      }
      if (target !== undefined) {
        if (rest === '') {
          sendJson(
            ctx,
            200,
            selectFields(ctx, { '@odata.context': context('drives/items/$entity'), ...driveItemJson(target) }),
          );
          return;
        }
        if (rest === '/children') {
          if (!target.folder) {
            sendJson(ctx, 200, { '@odata.context': context('Collection(driveItem)'), value: [] });
            return;
          }
          page(
            ctx,
            childRecords(target.id),
            childKey,
            (r) => driveItemJson(r),
            200,
            1000,
            `users('${me.oid}')/drive/items('${target.id}')/children`,
          );
          return;
        }
        if (rest === '/content') {
          await serveContent(ctx, target, !contentRedirect);
          return;
        }
      }
      throw new GraphError(
        400,
        'invalidRequest',
        `Invalid request: resource not found for the segment '${path.split('/').pop() ?? ''}'.`,
      );
    }

    // ---- Mail
    if (path === '/me/sendMail') {
      requireScope(ctx, ['Mail.Send']);
      if (method !== 'POST') throw new GraphError(405, 'ErrorInvalidRequest', 'The OData request is not supported.');
      const body = await readJson(ctx.req);
      const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : undefined;
      if (typeof message !== 'object' || message === null) {
        throw new GraphError(400, 'ErrorInvalidParameter', "The value of the parameter 'Message' is empty.");
      }
      const msg = message as GraphJson;
      const recipients = [msg.toRecipients, msg.ccRecipients, msg.bccRecipients].flatMap((r) =>
        Array.isArray(r) ? r : [],
      );
      const addresses = recipients.map((r: unknown) => {
        if (typeof r !== 'object' || r === null || !('emailAddress' in r)) return '';
        const email = r.emailAddress;
        return typeof email === 'object' && email !== null && 'address' in email && typeof email.address === 'string'
          ? email.address
          : '';
      });
      if (addresses.length === 0 || addresses.some((a) => !/^[^@\s]+@[^@\s]+$/.test(a))) {
        throw new GraphError(
          400,
          'ErrorInvalidRecipients',
          "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        );
      }
      const save = !(
        typeof body === 'object' &&
        body !== null &&
        'saveToSentItems' in body &&
        body.saveToSentItems === false
      );
      fake.sentMail.push({ message: msg, saveToSentItems: save, at: clock() });
      if (save) {
        const content = msg.body;
        const record = insertMessage(
          {
            folder: 'sentitems',
            subject: typeof msg.subject === 'string' ? msg.subject : '',
            body:
              typeof content === 'object' &&
              content !== null &&
              'content' in content &&
              typeof content.content === 'string'
                ? content.content
                : '',
            from: me.preferredUsername,
            to: addresses,
            isRead: true,
          },
          clock(),
          0,
        );
        seq += 1;
        record.seq = seq;
      }
      ctx.res
        .writeHead(202, {
          'request-id': ctx.requestId,
          'client-request-id': ctx.clientRequestId,
          'content-length': '0',
        })
        .end();
      return;
    }
    if (path.startsWith('/me/messages') || path.startsWith('/me/mailFolders')) {
      const immutableIds = wantsImmutableIds(ctx);
      const toJson = (record: MessageRecord) => messageJson(record, immutableIds);
      match = m(/^\/me\/messages\/([^/]+)\/move$/);
      if (match !== null && ctx.req.method === 'POST') {
        requireScope(ctx, ['Mail.ReadWrite']);
        const body = await readJson(ctx.req);
        const destination =
          typeof body === 'object' && body !== null && 'destinationId' in body ? body.destinationId : undefined;
        if (typeof destination !== 'string' || destination === '') {
          throw new GraphError(400, 'ErrorInvalidParameter', "The value of the parameter 'DestinationId' is empty.");
        }
        const moved = moveMessage(liveMessage(decodeURIComponent(match[1] ?? '')), folderOf(destination));
        sendJson(ctx, 201, { '@odata.context': context(`users('${me.oid}')/messages/$entity`), ...toJson(moved) });
        return;
      }
      requireScope(ctx, ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic']);
      if (!isGet) throw new GraphError(405, 'ErrorInvalidRequest', 'The OData request is not supported.');
      if (path === '/me/messages') {
        page(ctx, liveMessages(), messageKey, toJson, 10, 1000, `users('${me.oid}')/messages`);
        return;
      }
      match = m(/^\/me\/messages\/([^/]+)$/);
      if (match !== null) {
        const record = liveMessage(decodeURIComponent(match[1] ?? ''));
        sendJson(
          ctx,
          200,
          selectFields(ctx, {
            '@odata.context': context(`users('${me.oid}')/messages/$entity`),
            ...toJson(record),
          }),
        );
        return;
      }
      if (path === '/me/mailFolders') {
        const all = folders.map((f) => ({
          id: f.id,
          displayName: f.displayName,
          parentFolderId: `${mailbox}AuAAAAAAEIAAA=`,
          childFolderCount: 0,
          unreadItemCount: liveMessages(f.id).filter((msg) => !msg.isRead).length,
          totalItemCount: liveMessages(f.id).length,
          isHidden: false,
        }));
        page(
          ctx,
          all,
          (f) => f.displayName,
          (f) => f,
          10,
          1000,
          `users('${me.oid}')/mailFolders`,
        );
        return;
      }
      match = m(/^\/me\/mailFolders\/([^/]+)(\/.*)?$/);
      if (match !== null) {
        const folder = folderOf(decodeURIComponent(match[1] ?? ''));
        const rest = match[2] ?? '';
        if (rest === '/messages/delta') {
          messageDelta(ctx, folder);
          return;
        }
        if (rest === '/messages') {
          page(
            ctx,
            liveMessages(folder.id),
            messageKey,
            toJson,
            10,
            1000,
            `users('${me.oid}')/mailFolders('${folder.id}')/messages`,
          );
          return;
        }
        if (rest === '') {
          sendJson(
            ctx,
            200,
            selectFields(ctx, {
              id: folder.id,
              displayName: folder.displayName,
              childFolderCount: 0,
              unreadItemCount: liveMessages(folder.id).filter((msg) => !msg.isRead).length,
              totalItemCount: liveMessages(folder.id).length,
            }),
          );
          return;
        }
      }
    }

    // ---- Calendar
    if (path.startsWith('/me/events') || path === '/me/calendarView' || path === '/me/calendar/events') {
      requireScope(ctx, ['Calendars.Read', 'Calendars.ReadWrite']);
      if (!isGet) throw new GraphError(405, 'ErrorInvalidRequest', 'The OData request is not supported.');
      const eventKey = (e: EventRecord): string => `${String(e.start).padStart(15, '0')}\u0000${e.id}`;
      if (path === '/me/events' || path === '/me/calendar/events') {
        page(ctx, events, eventKey, eventJson, 10, 1000, `users('${me.oid}')/events`);
        return;
      }
      if (path === '/me/calendarView') {
        const from = Date.parse(ctx.url.searchParams.get('startDateTime') ?? '');
        const to = Date.parse(ctx.url.searchParams.get('endDateTime') ?? '');
        if (Number.isNaN(from) || Number.isNaN(to)) {
          throw new GraphError(
            400,
            'ErrorInvalidParameter',
            'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
          );
        }
        page(
          ctx,
          events.filter((e) => e.end > from && e.start < to),
          eventKey,
          eventJson,
          10,
          1000,
          `users('${me.oid}')/calendarView`,
        );
        return;
      }
      match = m(/^\/me\/events\/([^/]+)$/);
      if (match !== null) {
        const record = liveEvent(decodeURIComponent(match[1] ?? ''));
        sendJson(
          ctx,
          200,
          selectFields(ctx, { '@odata.context': context(`users('${me.oid}')/events/$entity`), ...eventJson(record) }),
        );
        return;
      }
    }

    // ---- OneNote
    if (path.startsWith('/me/onenote')) {
      requireScope(ctx, ['Notes.Read', 'Notes.ReadWrite', 'Notes.Read.All', 'Notes.ReadWrite.All']);
      if (!isGet) throw new GraphError(405, 'BadRequest', 'The OData request is not supported.');
      const byName = (n: { displayName: string; id: string }): string => `${n.displayName.toLowerCase()}\u0000${n.id}`;
      const pageKey = (p: PageRecord): string =>
        `${String(9_999_999_999_999 - p.modified).padStart(13, '0')}\u0000${p.id}`;
      const sortedPages = (list: PageRecord[]): PageRecord[] =>
        [...list].sort((a, b) => pageKey(a).localeCompare(pageKey(b)));
      if (path === '/me/onenote/notebooks') {
        page(
          ctx,
          [...notebooks].sort((a, b) => byName(a).localeCompare(byName(b))),
          byName,
          notebookJson,
          20,
          100,
          `users('${me.oid}')/onenote/notebooks`,
        );
        return;
      }
      if (path === '/me/onenote/sections') {
        page(
          ctx,
          [...sections].sort((a, b) => byName(a).localeCompare(byName(b))),
          byName,
          sectionJson,
          20,
          100,
          `users('${me.oid}')/onenote/sections`,
        );
        return;
      }
      if (path === '/me/onenote/pages') {
        page(ctx, sortedPages(pages), pageKey, pageJson, 20, 100, `users('${me.oid}')/onenote/pages`);
        return;
      }
      match = m(/^\/me\/onenote\/notebooks\/([^/]+)(\/sections)?$/);
      if (match !== null) {
        const id = decodeURIComponent(match[1] ?? '');
        const notebook = notebooks.find((n) => n.id === id);
        if (notebook === undefined) throw oneNoteNotFound();
        if (match[2] === undefined) {
          sendJson(ctx, 200, selectFields(ctx, notebookJson(notebook)));
          return;
        }
        const list = sections.filter((s) => s.notebookId === id).sort((a, b) => byName(a).localeCompare(byName(b)));
        page(ctx, list, byName, sectionJson, 20, 100, `users('${me.oid}')/onenote/notebooks('${id}')/sections`);
        return;
      }
      match = m(/^\/me\/onenote\/sections\/([^/]+)(\/pages)?$/);
      if (match !== null) {
        const id = decodeURIComponent(match[1] ?? '');
        const section = sections.find((s) => s.id === id);
        if (section === undefined) throw oneNoteNotFound();
        if (match[2] === undefined) {
          sendJson(ctx, 200, selectFields(ctx, sectionJson(section)));
          return;
        }
        page(
          ctx,
          sortedPages(pages.filter((p) => p.sectionId === id)),
          pageKey,
          pageJson,
          20,
          100,
          `users('${me.oid}')/onenote/sections('${id}')/pages`,
        );
        return;
      }
      match = m(/^\/me\/onenote\/pages\/([^/]+)(\/content)?$/);
      if (match !== null) {
        const id = decodeURIComponent(match[1] ?? '');
        const record = pages.find((p) => p.id === id);
        if (record === undefined) throw oneNoteNotFound();
        if (match[2] === undefined) {
          sendJson(ctx, 200, selectFields(ctx, pageJson(record)));
          return;
        }
        const html = `<html lang="en-US">\n\t<head>\n\t\t<title>${record.title}</title>\n\t\t<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n\t\t<meta name="created" content="${iso(record.created)}" />\n\t</head>\n\t<body data-absolute-enabled="true" style="font-family:Calibri;font-size:11pt">\n\t\t<div style="position:absolute;left:48px;top:115px;width:624px">\n\t\t\t${record.body}\n\t\t</div>\n\t</body>\n</html>\n`;
        ctx.res.writeHead(200, { 'content-type': 'text/html', 'request-id': ctx.requestId }).end(html);
        return;
      }
    }

    if (path === '/subscriptions' || path.startsWith('/subscriptions/')) {
      await routeSubscriptions(ctx, method, path);
      return;
    }

    const segment =
      path
        .split('/')
        .filter((s) => s !== '')
        .pop() ?? '';
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
  }

  async function routeSubscriptions(ctx: Ctx, method: string, path: string): Promise<void> {
    try {
      if (path === '/subscriptions' && method === 'POST') {
        sendJson(ctx, 201, await subscriptions.create(await readJson(ctx.req), String(ctx.req.headers.prefer ?? '')));
        return;
      }
      if (path === '/subscriptions' && method === 'GET') {
        sendJson(ctx, 200, {
          '@odata.context': context('subscriptions'),
          value: subscriptions.list(),
        });
        return;
      }
      const reauthorize = /^\/subscriptions\/([^/]+)\/reauthorize$/.exec(path);
      if (reauthorize?.[1] !== undefined && method === 'POST') {
        subscriptions.reauthorize(decodeURIComponent(reauthorize[1]));
        ctx.res.writeHead(204, { 'request-id': ctx.requestId }).end();
        return;
      }
      const one = /^\/subscriptions\/([^/]+)$/.exec(path);
      if (one?.[1] !== undefined) {
        const id = decodeURIComponent(one[1]);
        if (method === 'GET') {
          sendJson(ctx, 200, { '@odata.context': context('subscriptions/$entity'), ...subscriptions.get(id) });
          return;
        }
        if (method === 'PATCH') {
          sendJson(ctx, 200, await subscriptions.update(id, await readJson(ctx.req)));
          return;
        }
        if (method === 'DELETE') {
          subscriptions.remove(id);
          ctx.res.writeHead(204, { 'request-id': ctx.requestId }).end();
          return;
        }
      }
    } catch (error) {
      if (error instanceof SubscriptionError) throw new GraphError(error.status, error.code, error.message);
      throw error;
    }
    throw new GraphError(405, 'Request_BadRequest', `Method ${method} is not allowed on ${path}.`);
  }

  function authenticate(req: IncomingMessage): AccessTokenClaims {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer?.[1] === undefined || bearer[1].trim() === '') {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      });
    }
    const token = bearer[1].trim();
    if (token.split('.').length !== 3) {
      throw new GraphError(
        401,
        'InvalidAuthenticationToken',
        'IDX14100: JWT is not well formed, there are no dots (.).',
      );
    }
    const claims = identity.verifyAccessToken(token);
    if (claims === null) {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', {
        'www-authenticate':
          'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token", error_description="The access token has expired"',
      });
    }
    if (claims.aud !== 'https://graph.microsoft.com' && claims.aud !== '00000003-0000-0000-c000-000000000000') {
      throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    return claims;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.baseUrl);
    const requestId = randomUUID();
    const header = req.headers['client-request-id'];
    const clientRequestId = typeof header === 'string' && header !== '' ? header : randomUUID();
    const entry: GraphRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      status: 0,
      throttled: false,
      at: clock(),
    };
    fake.requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const base = { res, requestId, clientRequestId };
    try {
      if (throttle.count > 0) {
        throttle.count -= 1;
        entry.throttled = true;
        throw new GraphError(
          429,
          'TooManyRequests',
          'Too many requests. Please retry after the time specified in the Retry-After header.',
          { 'retry-after': String(throttle.retryAfter) },
        );
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/_download/')) {
        const id = decodeURIComponent(url.pathname.slice('/_download/'.length));
        const record = items.get(id);
        const expected =
          record === undefined
            ? ''
            : createHmac('sha256', downloadKey).update(`${record.id}:${record.contentVersion}`).digest('base64url');
        if (record === undefined || record.deleted || url.searchParams.get('tempauth') !== expected) {
          throw new GraphError(401, 'unauthenticated', 'Invalid or expired download URL.');
        }
        await streamFile(req, res, record);
        return;
      }
      if (!url.pathname.startsWith('/v1.0/')) {
        throw new GraphError(400, 'BadRequest', 'Invalid version.');
      }
      const claims = authenticate(req);
      await route({ req, res, url, path: url.pathname.slice('/v1.0'.length), claims, requestId, clientRequestId });
    } catch (error) {
      if (error instanceof GraphError) {
        sendError(base, error);
        return;
      }
      throw error;
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'generalException', message: String(error) } }));
      } else {
        res.destroy();
      }
    });
  });

  // --- Test hooks -------------------------------------------------------------------------------

  const fake: MicrosoftGraphFake = {
    baseUrl: '',
    url: '',
    driveId,
    rootId,
    requests: [],
    sentMail: [],
    resetRequests() {
      fake.requests.length = 0;
    },
    throttleNext(count, retryAfterSeconds = 1) {
      throttle = { count, retryAfter: retryAfterSeconds };
    },
    failEnumerationPages(count) {
      failingEnumerationPages = count;
    },
    invalidateDeltaTokens() {
      deltaEpoch += 1;
    },
    getItem(id) {
      const record = items.get(id === 'root' ? rootId : id);
      return record === undefined || record.deleted ? undefined : driveItemJson(record);
    },
    listChildren(folderId) {
      return childRecords(live(folderId).id).map((r) => driveItemJson(r));
    },
    allItems() {
      return [...items.values()]
        .filter((r) => !r.deleted && r.parentId !== null)
        .sort((a, b) => a.depth - b.depth || a.id.localeCompare(b.id))
        .map((r) => driveItemJson(r));
    },
    fileContent(id) {
      const record = live(id);
      if (record.folder) throw new Error(`${id} is a folder`);
      return Buffer.concat([...contentChunks(record)]);
    },
    addFile(parentId, file) {
      const parent = live(parentId);
      if (!parent.folder) throw new Error(`${parentId} is not a folder`);
      uniqueName(parent.id, file.name);
      const record = baseRecord(file.name, parent.id, false, clock());
      if (file.content !== undefined) {
        record.content = toBuffer(file.content);
        record.size = record.content.length;
      } else {
        record.size = file.size ?? 1024;
      }
      if (file.mimeType !== undefined) record.mimeType = file.mimeType;
      insert(record);
      touch(record, false);
      record.version = 1;
      touch(parent, false);
      driveChanged();
      return driveItemJson(record);
    },
    addFolder(parentId, name) {
      const parent = live(parentId);
      uniqueName(parent.id, name);
      const record = insert(baseRecord(name, parent.id, true, clock()));
      touch(record, false);
      record.version = 1;
      touch(parent, false);
      driveChanged();
      return driveItemJson(record);
    },
    updateFileContent(id, content) {
      const record = live(id);
      if (record.folder) throw new Error(`${id} is a folder`);
      record.content = toBuffer(content);
      record.size = record.content.length;
      touch(record, true);
      driveChanged();
      return driveItemJson(record);
    },
    renameItem(id, name) {
      const record = live(id);
      if (record.parentId === null) throw new Error('cannot rename the root');
      uniqueName(record.parentId, name, record.id);
      record.name = name;
      touch(record, false);
      driveChanged();
      return driveItemJson(record);
    },
    moveItem(id, newParentId) {
      const record = live(id);
      const target = live(newParentId);
      if (record.parentId === null || !target.folder) throw new Error('invalid move');
      for (
        let p: DriveRecord | undefined = target;
        p !== undefined;
        p = p.parentId === null ? undefined : items.get(p.parentId)
      ) {
        if (p.id === record.id) throw new Error('cannot move a folder into itself');
      }
      uniqueName(target.id, record.name, record.id);
      const oldParent = items.get(record.parentId);
      children.get(record.parentId)?.delete(record.id);
      record.parentId = target.id;
      insert(record);
      const shift = target.depth + 1 - record.depth;
      const reDepth = (r: DriveRecord): void => {
        r.depth += shift;
        for (const childId of children.get(r.id) ?? []) {
          const child = items.get(childId);
          if (child !== undefined) reDepth(child);
        }
      };
      reDepth(record);
      touch(record, false);
      if (oldParent !== undefined) touch(oldParent, false);
      touch(target, false);
      driveChanged();
      return driveItemJson(record);
    },
    deleteItem(id) {
      const record = live(id);
      if (record.parentId === null) throw new Error('cannot delete the root');
      const remove = (r: DriveRecord): void => {
        for (const childId of children.get(r.id) ?? []) {
          const child = items.get(childId);
          if (child !== undefined && !child.deleted) remove(child);
        }
        r.deleted = true;
        touch(r, false);
      };
      remove(record);
      const parent = items.get(record.parentId);
      if (parent !== undefined) touch(parent, false);
      driveChanged();
    },
    listMessages(folder) {
      return liveMessages(folder === undefined ? undefined : folderOf(folder).id).map((record) => messageJson(record));
    },
    addMessage(message = {}) {
      const record = insertMessage(message, clock(), rng.int(0, PEOPLE.length - 1));
      seq += 1;
      record.seq = seq;
      messageChanged(record, 'created');
      return messageJson(record);
    },
    updateMessage(id, patch) {
      const record = liveMessage(id);
      if (patch.subject !== undefined) record.subject = patch.subject;
      if (patch.isRead !== undefined) record.isRead = patch.isRead;
      record.modified = clock();
      record.changeKey = newChangeKey();
      seq += 1;
      record.seq = seq;
      messageChanged(record, 'updated');
      return messageJson(record);
    },
    moveMessage(id, folder) {
      const moved = moveMessage(liveMessage(id), folderOf(folder));
      messageChanged(moved, 'updated');
      return messageJson(moved);
    },
    deleteMessage(id) {
      const record = liveMessage(id);
      record.deleted = true;
      seq += 1;
      record.seq = seq;
      messageChanged(record, 'deleted');
    },
    mailFolderId(name) {
      return folderOf(name).id;
    },
    listEvents() {
      return events.map(eventJson);
    },
    listNotebooks() {
      return notebooks.map(notebookJson);
    },
    listPages() {
      return pages.map(pageJson);
    },
    addEvent(event) {
      const start = event.start ?? clock() + DAY;
      const record: EventRecord = {
        id: `${mailbox}BGAAAAAAENAAA${rng.chars(B64URL, 58)}AAA=`,
        subject: event.subject,
        start,
        end: start + (event.durationMinutes ?? 30) * 60_000,
        isAllDay: false,
        location: 'Microsoft Teams Meeting',
        organizer: 0,
        attendees: [1],
        created: clock(),
        modified: clock(),
        iCalUId: `040000008200E00074C5B7101A82E008${rng.chars('0123456789ABCDEF', 80)}`,
        changeKey: newChangeKey(),
      };
      events.push(record);
      events.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
      eventChanged(record, 'created');
      return eventJson(record);
    },
    updateEvent(id, patch) {
      const record = liveEvent(id);
      if (patch.subject !== undefined) record.subject = patch.subject;
      if (patch.location !== undefined) record.location = patch.location;
      record.modified = clock();
      record.changeKey = newChangeKey();
      eventChanged(record, 'updated');
      return eventJson(record);
    },
    deleteEvent(id) {
      const index = events.findIndex((e) => e.id === id);
      const record = events[index];
      if (record === undefined) throw new Error(`no event ${id}`);
      events.splice(index, 1);
      eventChanged(record, 'deleted');
    },
    listSections() {
      return sections.map(sectionJson);
    },
    addPage(sectionId, title) {
      const section = sections.find((x) => x.id === sectionId);
      if (section === undefined) throw new Error(`no section ${sectionId}`);
      const record: PageRecord = {
        id: `${oneNoteId()}!${rng.int(1, 99)}-${section.id.slice(2)}`,
        sectionId: section.id,
        title,
        created: clock(),
        modified: clock(),
        order: pages.filter((x) => x.sectionId === section.id).length,
        body: `<p>${title}</p>`,
      };
      pages.push(record);
      return pageJson(record);
    },
    renamePage(id, title) {
      const record = pages.find((x) => x.id === id);
      if (record === undefined) throw new Error(`no page ${id}`);
      record.title = title;
      record.modified = clock();
      return pageJson(record);
    },
    deletePage(id) {
      const index = pages.findIndex((x) => x.id === id);
      if (index < 0) throw new Error(`no page ${id}`);
      pages.splice(index, 1);
    },
    listSites() {
      return siteRecords.map(siteJson);
    },
    siteFiles(siteId) {
      return liveLibraryFiles(siteId).map((f) => libraryFileJson(f));
    },
    addSiteFile(siteId, name, size = 2048) {
      const site = siteOf(siteId);
      const file: LibraryFile = {
        id: newItemId(),
        siteId: site.id,
        name,
        size,
        created: clock(),
        modified: clock(),
        seq: 0,
        deleted: false,
        guid: rng.guid().toUpperCase(),
        version: 1,
        author: 0,
      };
      libraryFiles.set(file.id, file);
      seq += 1;
      file.seq = seq;
      return libraryFileJson(file);
    },
    renameSiteFile(id, name) {
      const file = liveLibraryFile(id);
      file.name = name;
      file.modified = clock();
      file.version += 1;
      seq += 1;
      file.seq = seq;
      return libraryFileJson(file);
    },
    sharepointRequests,
    subscriptions,
    sharepointDenies(status) {
      sharepointForcedStatus = status;
    },
    deleteSiteFile(id) {
      const file = liveLibraryFile(id);
      file.deleted = true;
      seq += 1;
      file.seq = seq;
    },
    graphSearchMisses(siteId, missed = true) {
      if (missed) missedByGraphSearch.add(siteId);
      else missedByGraphSearch.delete(siteId);
    },
    deleteSite(id) {
      const index = siteRecords.findIndex((s) => s.id === id);
      if (index < 0) throw new Error(`no site ${id}`);
      siteRecords.splice(index, 1);
      for (const file of libraryFiles.values()) {
        if (file.siteId !== id || file.deleted) continue;
        file.deleted = true;
        seq += 1;
        file.seq = seq;
      }
    },
    close: async () => {
      if (sharepointServer !== undefined) {
        sharepointServer.closeAllConnections();
        await new Promise((resolve) => sharepointServer.close(resolve));
      }
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = fake.baseUrl;
  return fake;
}
