import type { ConnectionRowId, Pool } from '@weft/db';
import { describe, expect, it } from 'vitest';
import { createRecordsReader } from './records-reader.js';

/** A records table in memory that answers READ_PAGE's parameters (after-seq and limit). */
function tableOf(count: number) {
  const rows = Array.from({ length: count }, (_, i) => ({ seq: i + 1, id: `r${i + 1}` }));
  let queries = 0;
  const pool = {
    async query(_text: string, params: unknown[]) {
      queries++;
      const after = params[2] as number;
      const limit = params[6] as number;
      return {
        rows: rows
          .filter((row) => row.seq > after)
          .slice(0, limit)
          .map((row) => ({
            payload: JSON.stringify({ id: row.id }),
            seq: row.seq,
            meta: '2026-01-31 12:00:00+00|2026-01-31 12:00:00+00|ADDED||',
          })),
      };
    },
  } as unknown as Pool;
  return {
    pool,
    add: (id: string) => rows.push({ seq: rows.length + 1, id }),
    queries: () => queries,
  };
}

async function drain(reader: ReturnType<typeof createRecordsReader>, onPage: (page: number) => void = () => {}) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let page = 0;
  do {
    const { body } = await reader.read({
      connectionRowId: 1 as ConnectionRowId,
      model: 'File',
      limit: 3,
      ...(cursor === null ? {} : { cursor }),
    });
    const parsed = JSON.parse(body.toString('utf8')) as { records: Array<{ id: string }>; next_cursor: string | null };
    ids.push(...parsed.records.map((r) => r.id));
    cursor = parsed.next_cursor;
    onPage(++page);
  } while (cursor !== null);
  return ids;
}

describe('createRecordsReader', () => {
  it('serves every record once, in order, with pages read ahead', async () => {
    const table = tableOf(20);
    const ids = await drain(createRecordsReader(table.pool));
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `r${i + 1}`));
  });

  it('serves a record written while pages were read ahead on a later page', async () => {
    // Four pages: when the late record is written, the last one is beyond the two read ahead.
    const table = tableOf(12);
    const ids = await drain(createRecordsReader(table.pool), (page) => {
      if (page === 1) table.add('late');
    });
    expect(ids).toEqual([...Array.from({ length: 12 }, (_, i) => `r${i + 1}`), 'late']);
  });

  it('reads each page once when the consumer follows the read-ahead', async () => {
    const table = tableOf(30);
    await drain(createRecordsReader(table.pool, { readAheadPages: 2 }));
    // 10 pages of 3, each queried once: no page is read twice, none past the last one.
    expect(table.queries()).toBe(10);
  });
});
