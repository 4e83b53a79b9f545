import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { currentMigrationVersion, migrate, migrationsDir } from './migrate.js';

describe('migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('applies every migration exactly once when many callers race', async () => {
    const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql'));
    const results = await Promise.all(Array.from({ length: 6 }, () => migrate(db.pool)));
    const appliedCounts = results.map((r) => r.applied.length).sort((a, b) => b - a);
    expect(appliedCounts[0]).toBe(files.length); // the first caller applied everything…
    expect(appliedCounts.slice(1).every((n) => n === 0)).toBe(true); // …the others found nothing to do
    const rows = await db.pool.query<{ name: string }>('SELECT name FROM weft_migrations ORDER BY name');
    expect(rows.rows.map((r) => `${r.name}.sql`)).toEqual(files.sort());
    expect(await currentMigrationVersion(db.pool)).toBe(
      files
        .sort()
        .at(-1)!
        .replace(/\.sql$/, ''),
    );
  });

  it('keeps timestamps as text with microseconds', async () => {
    const row = await db.pool.query<{ at: unknown }>(`SELECT '2026-01-02 03:04:05.123456+00'::timestamptz AS at`);
    expect(row.rows[0]!.at).toBe('2026-01-02 03:04:05.123456+00');
  });
});
