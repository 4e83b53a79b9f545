import { describe, expect, it } from 'vitest';
import { metadataWriter } from './metadata-writer.js';
import { decodeCursor, encodeCursor } from './record-cursor.js';

const render = (rows: Array<{ seq: number; meta: string }>) => {
  const write = metadataWriter();
  const out = Buffer.alloc(400 * rows.length);
  let at = 0;
  const each: string[] = [];
  for (const row of rows) {
    const start = at;
    at = write(out, at, row);
    each.push(out.toString('utf8', start, at));
  }
  return each;
};

describe('metadataWriter', () => {
  it('writes the metadata object and closes the record', () => {
    const [text] = render([{ seq: 42, meta: '2026-01-31 12:00:00.1+00|2026-02-01 08:00:00+00|UPDATED||' }]);
    expect(text?.endsWith('}')).toBe(true);
    expect(JSON.parse(`{${text}`)).toEqual({
      _nango_metadata: {
        first_seen_at: '2026-01-31T12:00:00.100000Z',
        last_modified_at: '2026-02-01T08:00:00.000000Z',
        last_action: 'UPDATED',
        deleted_at: null,
        pruned_at: null,
        cursor: encodeCursor(42),
      },
    });
  });

  it('writes the cursor encodeCursor issues, for every digit count', () => {
    const seqs = [0, 1, 12, 123, 1234, 12345, 123456, 9_999_999, 2 ** 31, 999_999_999_999_999];
    const texts = render(seqs.map((seq) => ({ seq, meta: '2026-01-31 12:00:00+00|2026-01-31 12:00:00+00|ADDED||' })));
    texts.forEach((text, i) => {
      const { cursor } = JSON.parse(`{${text}`)._nango_metadata as { cursor: string };
      expect(cursor).toBe(encodeCursor(seqs[i] as number));
      expect(decodeCursor(cursor)).toBe(seqs[i]);
    });
  });

  it('renders each row from its own metadata when consecutive rows differ', () => {
    const texts = render([
      { seq: 1, meta: '2026-01-31 12:00:00+00|2026-01-31 12:00:00+00|ADDED||' },
      { seq: 2, meta: '2026-01-31 12:00:00+00|2026-01-31 12:00:00+00|ADDED||' },
      { seq: 3, meta: '2026-01-31 12:00:00+00|2026-03-01 00:00:00+00|DELETED|2026-03-01 00:00:00+00|' },
      { seq: 4, meta: '2026-01-31 12:00:00+00|2026-01-31 12:00:00+00|ADDED||2026-04-01 00:00:00+00' },
    ]);
    const metadata = texts.map((text) => JSON.parse(`{${text}`)._nango_metadata);
    expect(metadata.map((m) => [m.last_action, m.deleted_at, m.pruned_at, m.cursor])).toEqual([
      ['ADDED', null, null, encodeCursor(1)],
      ['ADDED', null, null, encodeCursor(2)],
      ['DELETED', '2026-03-01T00:00:00.000000Z', null, encodeCursor(3)],
      ['ADDED', null, '2026-04-01T00:00:00.000000Z', encodeCursor(4)],
    ]);
  });
});
