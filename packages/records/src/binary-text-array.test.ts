import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { binaryTextArray, JSON_OID, TEXT_OID } from './binary-text-array.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterAll(() => db.drop());

describe('binaryTextArray', () => {
  it('Postgres reads back exactly the strings sent, whatever array-literal syntax they hold', async () => {
    const syntax = fc.constantFrom('', 'NULL', 'null', '{', '}', ',', '"', '\\', ' ', '{"a","b"}', 'ünïcode ✓ 𝄞');
    const text = fc.oneof(fc.string({ unit: 'grapheme' }), syntax).filter((s) => !s.includes('\u0000'));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { maxLength: 20 }), async (values) => {
        const { rows } = await db.pool.query<{ back: string[]; n: number }>(
          'SELECT $1::text[] AS back, cardinality($1::text[]) AS n',
          [binaryTextArray(TEXT_OID, values)],
        );
        expect(rows[0]).toEqual({ back: values, n: values.length });
      }),
      { numRuns: 50 },
    );
  });

  it('json elements arrive as the same JSON, and Postgres still refuses one that is not JSON', async () => {
    const values = [JSON.stringify({ id: 'a', s: 'quote " back \\ brace } comma ,' }), '[1,2]', '"x"'];
    const { rows } = await db.pool.query<{ back: string[] }>('SELECT $1::json[]::text[] AS back', [
      binaryTextArray(JSON_OID, values),
    ]);
    expect(rows[0]?.back).toEqual(values);
    await expect(
      db.pool.query('SELECT $1::json[]', [binaryTextArray(JSON_OID, ['{"ok":1}', '{not json'])]),
    ).rejects.toMatchObject({ code: '22P02' });
  });
});
