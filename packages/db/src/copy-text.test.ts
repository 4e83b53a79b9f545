import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { copyText } from './copy-text.js';

describe('copyText', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('round-trips backslashes, tabs, newlines, CRs, unicode, numbers and null through a real COPY', async () => {
    const values = ['plain', 'tab\there', 'line\nbreak', 'cr\rlf', 'back\\slash \\N', 'ünïcødé ✓', ''];
    const client = await db.pool.connect();
    try {
      await client.query('CREATE TEMP TABLE t (i int, s text, n int)');
      const stream = client.query(copyFrom('COPY t (i, s, n) FROM STDIN'));
      const done = new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
      });
      stream.end(values.map((v, i) => `${copyText(i)}\t${copyText(v)}\t${copyText(i % 2 ? null : i)}\n`).join(''));
      await done;
      const { rows } = await client.query<{ i: number; s: string; n: number | null }>(
        'SELECT i, s, n FROM t ORDER BY i',
      );
      expect(rows.map((r) => r.s)).toEqual(values);
      expect(rows.map((r) => r.n)).toEqual(values.map((_, i) => (i % 2 ? null : i)));
    } finally {
      client.release();
    }
  });
});
