import { pgTimestampToIso } from './pg-timestamp.js';
import { encodeCursor } from './record-cursor.js';

/** One row's metadata as READ_PAGE selects it. */
export interface MetadataSource {
  seq: number;
  /** first_seen_at|updated_at|last_action|deleted_at|pruned_at (empty when null) */
  meta: string;
}

/** Writes a row's `"_nango_metadata":{…}}` at `at` and returns the offset after it. */
export type MetadataWriter = (out: Buffer, at: number, row: MetadataSource) => number;

const CURSOR_PREFIX = 'w1.';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_BYTES = Buffer.from(BASE64URL, 'latin1');
/** `"}}`: closes the cursor string, the metadata object and the record. */
const CLOSE = Buffer.from('"}}', 'latin1');

/**
 * A row's metadata object up to the cursor's value: `"_nango_metadata":{…,"cursor":"`. Everything
 * in it comes from `meta`; the cursor (the only part unique to a row) and `"}}` follow.
 */
function metadataHead(meta: string): string {
  const [firstSeen, updated, action, deleted, pruned] = meta.split('|');
  const iso = (value: string | undefined) =>
    value === undefined || value === '' ? 'null' : `"${pgTimestampToIso(value)}"`;
  return `"_nango_metadata":{"first_seen_at":${iso(firstSeen)},"last_modified_at":${iso(updated)},"last_action":"${action}","deleted_at":${iso(deleted)},"pruned_at":${iso(pruned)},"cursor":"`;
}

/**
 * Renders `"_nango_metadata":{…}}` as a string, for the rows of one page (`readRecords`). Records
 * written by one batch share their metadata text, so the head is rendered once per distinct one.
 */
export function metadataRenderer(): (row: MetadataSource) => string {
  let lastMeta: string | undefined;
  let head = '';
  return (row) => {
    if (row.meta !== lastMeta) {
      lastMeta = row.meta;
      head = metadataHead(row.meta);
    }
    return `${head}${encodeCursor(row.seq)}"}}`;
  };
}

/**
 * Renders `"_nango_metadata":{…}}` for the rows of one page straight into the response Buffer.
 * Records written by one batch share their timestamps and action, so everything before the cursor
 * is rendered once per distinct `meta` text and then copied as bytes; the cursor (the only part
 * unique to a row) is base64url-encoded in place. Per row this allocates nothing but the seq's
 * digits, where rendering a string per row cost a split, a template string and a Buffer for the
 * cursor — garbage that paced the server's GC at 1,000-record pages.
 */
export function metadataWriter(): MetadataWriter {
  let lastMeta: string | undefined;
  let lastHead = Buffer.alloc(0);
  return (out, at, row) => {
    if (row.meta !== lastMeta) {
      lastMeta = row.meta;
      lastHead = Buffer.from(`${metadataHead(row.meta)}${CURSOR_PREFIX}`, 'utf8');
    }
    at += lastHead.copy(out, at);
    at = writeCursorDigits(out, at, row.seq);
    return at + CLOSE.copy(out, at);
  };
}

/**
 * base64url (no padding) of the seq's decimal digits, as {@link encodeCursor} makes it. Cursors
 * are a promise to clients, so an unusual seq (not a safe non-negative integer) takes the
 * reference encoder rather than this loop.
 */
function writeCursorDigits(out: Buffer, at: number, seq: number): number {
  if (!Number.isSafeInteger(seq) || seq < 0)
    return at + out.write(encodeCursor(seq).slice(CURSOR_PREFIX.length), at, 'latin1');
  const digits = String(seq);
  const n = digits.length;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (digits.charCodeAt(i) << 16) | (digits.charCodeAt(i + 1) << 8) | digits.charCodeAt(i + 2);
    out[at++] = BASE64URL_BYTES[v >> 18] as number;
    out[at++] = BASE64URL_BYTES[(v >> 12) & 63] as number;
    out[at++] = BASE64URL_BYTES[(v >> 6) & 63] as number;
    out[at++] = BASE64URL_BYTES[v & 63] as number;
  }
  if (n - i === 1) {
    const v = digits.charCodeAt(i) << 16;
    out[at++] = BASE64URL_BYTES[v >> 18] as number;
    out[at++] = BASE64URL_BYTES[(v >> 12) & 63] as number;
  } else if (n - i === 2) {
    const v = (digits.charCodeAt(i) << 16) | (digits.charCodeAt(i + 1) << 8);
    out[at++] = BASE64URL_BYTES[v >> 18] as number;
    out[at++] = BASE64URL_BYTES[(v >> 12) & 63] as number;
    out[at++] = BASE64URL_BYTES[(v >> 6) & 63] as number;
  }
  return at;
}
