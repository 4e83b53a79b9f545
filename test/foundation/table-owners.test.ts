import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREAS, KNOWN_VIOLATIONS, OVERRIDES } from './table-owners.js';

const root = path.resolve(import.meta.dirname, '../..');
const migrations = path.join(root, 'packages/db/migrations');

/**
 * Every table the migrations leave behind, with the number of the migration that named it last.
 * Functions count as tables: SQL calling one (`FROM weft_save_records(…)`) is SQL against the
 * tables inside it, so only the package owning its migration's area may call it.
 */
function migratedTables(): Map<string, number> {
  const tables = new Map<string, number>();
  for (const file of readdirSync(migrations)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const number = Number.parseInt(file, 10);
    const text = readFileSync(path.join(migrations, file), 'utf8').replace(/--.*$/gm, '');
    for (const m of text.matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi))
      tables.set(m[1] as string, number);
    for (const m of text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)/gi))
      tables.set(m[1] as string, number);
    for (const m of text.matchAll(/ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)\s+RENAME\s+TO\s+(\w+)/gi)) {
      const from = tables.get(m[1] as string);
      tables.delete(m[1] as string);
      tables.set(m[2] as string, from ?? number);
    }
    for (const m of text.matchAll(/DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)/gi)) tables.delete(m[1] as string);
  }
  return tables;
}

function ownerOf(table: string, migration: number): string | undefined {
  return OVERRIDES[table] ?? AREAS.find((a) => migration >= a.from && migration <= a.to)?.owner;
}

/** Source files of every package (tests excluded): the code that runs in production. */
function sourceFiles(): Array<{ pkg: string; file: string }> {
  const files: Array<{ pkg: string; file: string }> = [];
  const walk = (pkg: string, dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(pkg, full);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) files.push({ pkg, file: full });
    }
  };
  for (const pkg of readdirSync(path.join(root, 'packages'))) {
    const src = path.join(root, 'packages', pkg, 'src');
    try {
      walk(pkg, src);
    } catch {
      // a package without src/ has no SQL
    }
  }
  return files;
}

/** Tables a file issues SQL against: after FROM/JOIN/INTO/UPDATE/TABLE (SQL keywords are upper case here), or named in the catalog. */
function tablesReferenced(text: string, tables: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  const patterns = [
    /\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE)\s+(?:ONLY\s+)?"?(\w+)"?/g,
    /relname\s*=\s*'(\w+)'/g,
    /'(\w+)'::regclass/g,
  ];
  for (const pattern of patterns)
    for (const m of text.matchAll(pattern)) if (tables.has(m[1] as string)) found.add(m[1] as string);
  return found;
}

function violations(): { found: string[]; where: Map<string, string[]> } {
  const tables = migratedTables();
  const names = new Set(tables.keys());
  const where = new Map<string, string[]>();
  for (const { pkg, file } of sourceFiles()) {
    for (const table of tablesReferenced(readFileSync(file, 'utf8'), names)) {
      if (ownerOf(table, tables.get(table) as number) === pkg) continue;
      const key = `${pkg}:${table}`;
      where.set(key, [...(where.get(key) ?? []), path.relative(root, file)]);
    }
  }
  return { found: [...where.keys()].sort(), where };
}

describe('one owning package per table', () => {
  it('every migrated table has an owner', () => {
    const unowned = [...migratedTables()]
      .filter(([table, migration]) => ownerOf(table, migration) === undefined)
      .map(
        ([table, migration]) =>
          `${table} (migration ${migration}): add its area to AREAS in test/foundation/table-owners.ts`,
      );
    expect(unowned).toEqual([]);
    const packages = new Set(readdirSync(path.join(root, 'packages')));
    const owners = new Set([...AREAS.map((a) => a.owner), ...Object.values(OVERRIDES)]);
    expect([...owners].filter((o) => !packages.has(o))).toEqual([]);
  });

  it('finds SQL against a table in its owner only (this test sees a violation when one is there)', () => {
    const tables = new Set(['sync_runs', 'records']);
    expect(
      [...tablesReferenced('const X = `SELECT * FROM sync_runs r JOIN records c ON true`;', tables)].sort(),
    ).toEqual(['records', 'sync_runs']);
    expect([...tablesReferenced('// read from sync_runs, then records', tables)]).toEqual([]);
  });

  it('no package issues SQL against a table another package owns', () => {
    const { found, where } = violations();
    const added = found.filter((v) => !KNOWN_VIOLATIONS.has(v)).map((v) => `${v} in ${where.get(v)?.join(', ')}`);
    expect(added, 'call the owning package (named SQL + typed rows in its sql.ts) instead').toEqual([]);
    const fixed = [...KNOWN_VIOLATIONS].filter((v) => !found.includes(v));
    expect(fixed, 'fixed: delete these from KNOWN_VIOLATIONS in test/foundation/table-owners.ts').toEqual([]);
  });
});
