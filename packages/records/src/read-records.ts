import type { Pool } from '@weft/db';
import { pgTimestampToIso } from './pg-timestamp.js';
import { decodeCursor, encodeCursor } from './record-cursor.js';
import * as sql from './sql.js';

export type RecordAction = 'ADDED' | 'UPDATED' | 'DELETED';

export interface ReadRecordsQuery {
  /** connections.id */
  connectionId: number;
  model: string;
  /** A cursor from a previous page or record; omitted → from the beginning. */
  cursor?: string;
  /** ISO timestamp: only records modified strictly after it. */
  modifiedAfter?: string;
  /** @default 100, at most 1000 */
  limit?: number;
  actions?: RecordAction[];
  ids?: string[];
}

export interface RecordsPage {
  /** Each record as JSON text with `_nango_metadata` appended (built without re-parsing). */
  records: string[];
  /** Set only when more records follow; pass it back as `cursor`. */
  nextCursor: string | null;
}

interface Row {
  payload: string;
  seq: number;
  /** first_seen_at|updated_at|last_action|deleted_at|pruned_at (empty when null) */
  meta: string;
}

const str = (value: string | undefined) =>
  value === undefined || value === '' ? 'null' : `"${pgTimestampToIso(value)}"`;

/**
 * One page of records in change order. Order is by the commit-ordered `seq`, so a consumer that
 * keeps the last cursor sees each change exactly once even while syncs write. The response is
 * assembled as text: payloads come from Postgres as JSON text and are never parsed in Node.
 */
export async function readRecords(pool: Pool, query: ReadRecordsQuery): Promise<RecordsPage> {
  const limit = query.limit ?? 100;
  const after = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
  const { rows } = await pool.query<Row>(sql.READ_PAGE, [
    query.connectionId,
    query.model,
    after,
    query.modifiedAfter ?? null,
    query.actions ?? null,
    query.ids ?? null,
    limit + 1,
  ]);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const records = page.map((row) => {
    const cursor = encodeCursor(row.seq);
    const [firstSeen, updated, action, deleted, pruned] = row.meta.split('|');
    const meta = `{"first_seen_at":${str(firstSeen)},"last_modified_at":${str(updated)},"last_action":"${action}","deleted_at":${str(deleted)},"pruned_at":${str(pruned)},"cursor":"${cursor}"}`;
    const body = row.payload.length > 2 ? `${row.payload.slice(0, -1)}, ` : '{';
    return `${body}"_nango_metadata":${meta}}`;
  });
  const last = page[page.length - 1];
  return { records, nextCursor: more && last !== undefined ? encodeCursor(last.seq) : null };
}

/** The page as the `GET /records` response body. */
export function renderRecordsPage(page: RecordsPage): string {
  return `{"records":[${page.records.join(',')}],"next_cursor":${page.nextCursor === null ? 'null' : `"${page.nextCursor}"`}}`;
}
