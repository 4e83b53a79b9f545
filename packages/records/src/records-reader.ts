import type { Pool } from '@weft/db';
import { type ReadRecordsQuery, type RecordsBody, readRecordsBody } from './read-records.js';
import type { RecordCipher } from './record-cipher.js';

export interface RecordsReaderOptions {
  /** Fetch the next pages while the consumer handles this one. @default true */
  readAhead?: boolean;
  /**
   * How many pages past the one served are kept in flight. One is not enough at 1,000-record
   * pages: the next page's query, render and the server's write of the current one take about as
   * long as the consumer's parse, so a sixth of the requests waited ~2 ms for it. @default 2
   */
  readAheadPages?: number;
  /** A read-ahead page older than this is dropped and read again. @default 5000 */
  maxAgeMs?: number;
  /** Read-ahead pages kept at once, across consumers (each up to ~1 MB). @default 16 */
  maxPages?: number;
  /** Opens sealed payloads (`WEFT_RECORDS_ENCRYPTION=on`). */
  cipher?: RecordCipher;
}

export interface RecordsReader {
  read(query: ReadRecordsQuery): Promise<RecordsBody>;
}

interface Ahead {
  page: Promise<RecordsBody>;
  at: number;
}

function keyOf(query: ReadRecordsQuery): string {
  return JSON.stringify([
    query.connectionRowId,
    query.model,
    query.cursor ?? '',
    query.limit ?? 100,
    query.modifiedAfter ?? '',
    query.actions ?? [],
    query.ids ?? [],
  ]);
}

/**
 * Records reads, rendered as response bodies, with read-ahead: after serving a full page, the next one is queried at once, so
 * a consumer draining a backlog finds it ready (its parse/handling overlaps our query). A
 * read-ahead page is a snapshot a few milliseconds older than a fresh read; that keeps the
 * exactly-once guarantee, because changes committed meanwhile get a higher cursor and appear on
 * a later page. Pages are used once, expire after `maxAgeMs`, and at most `maxPages` are held.
 */
export function createRecordsReader(pool: Pool, options: RecordsReaderOptions = {}): RecordsReader {
  const readAhead = options.readAhead ?? true;
  const depth = Math.max(1, options.readAheadPages ?? 2);
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  const maxPages = options.maxPages ?? 16;
  const ahead = new Map<string, Ahead>();
  const read = { ...(options.cipher ? { cipher: options.cipher } : {}) };

  /** Reads the page after `nextCursor` ahead, and once it is read, the `pagesLeft - 1` after it. */
  function prefetch(query: ReadRecordsQuery, nextCursor: string, pagesLeft: number): void {
    const next = { ...query, cursor: nextCursor };
    const key = keyOf(next);
    const pending = ahead.get(key);
    if (pending !== undefined) {
      if (pagesLeft > 1) chain(next, pending.page, pagesLeft - 1);
      return;
    }
    while (ahead.size >= maxPages) {
      const oldest = ahead.keys().next().value;
      if (oldest === undefined) break;
      ahead.delete(oldest);
    }
    const page = readRecordsBody(pool, next, read);
    page.catch(() => ahead.delete(key)); // a failed read-ahead is simply not used
    ahead.set(key, { page, at: Date.now() });
    if (pagesLeft > 1) chain(next, page, pagesLeft - 1);
  }

  function chain(query: ReadRecordsQuery, page: Promise<RecordsBody>, pagesLeft: number): void {
    page.then(
      (body) => {
        if (body.nextCursor !== null) prefetch(query, body.nextCursor, pagesLeft);
      },
      () => {},
    );
  }

  return {
    async read(query) {
      const key = keyOf(query);
      const hit = ahead.get(key);
      let result: RecordsBody | undefined;
      if (hit !== undefined) {
        ahead.delete(key);
        if (Date.now() - hit.at <= maxAgeMs) result = await hit.page.catch(() => undefined);
      }
      result ??= await readRecordsBody(pool, query, read);
      if (readAhead && result.nextCursor !== null) prefetch(query, result.nextCursor, depth);
      return result;
    },
  };
}
