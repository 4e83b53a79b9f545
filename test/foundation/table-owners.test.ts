import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AREAS, OVERRIDES } from './table-owners.js';
import {
  type MigrationText,
  type OwnerRules,
  ownerOf,
  relationsUsed,
  schemaObjects,
  sourceViolations,
  viewViolations,
} from './table-owners-check.js';

const root = path.resolve(import.meta.dirname, '../..');
const migrations = path.join(root, 'packages/db/migrations');
const rules: OwnerRules = { areas: AREAS, overrides: OVERRIDES };

function migrationTexts(): MigrationText[] {
  return readdirSync(migrations)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => ({ number: Number.parseInt(f, 10), text: readFileSync(path.join(migrations, f), 'utf8') }));
}

/** Source files of every package (tests excluded): the code that runs in production. */
function sourceFiles(): Array<{ pkg: string; file: string; text: string }> {
  const files: Array<{ pkg: string; file: string; text: string }> = [];
  const walk = (pkg: string, dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(pkg, full);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
        files.push({ pkg, file: path.relative(root, full), text: readFileSync(full, 'utf8') });
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

describe('one owning package per table', () => {
  it('every migrated table and view has an owner', () => {
    const unowned = [...schemaObjects(migrationTexts())]
      .filter(([name, object]) => ownerOf(name, object, rules) === undefined)
      .map(
        ([name, object]) =>
          `${name} (migration ${object.migration}): add its area to AREAS in test/foundation/table-owners.ts`,
      );
    expect(unowned).toEqual([]);
    const packages = new Set(readdirSync(path.join(root, 'packages')));
    const owners = new Set([...AREAS.map((a) => a.owner), ...Object.values(OVERRIDES)]);
    expect([...owners].filter((o) => !packages.has(o))).toEqual([]);
  });

  it('finds SQL against a table in its owner only (this test sees a violation when one is there)', () => {
    const tables = new Set(['sync_runs', 'records']);
    expect([...relationsUsed('const X = `SELECT * FROM sync_runs r JOIN records c ON true`;', tables).keys()]).toEqual([
      'sync_runs',
      'records',
    ]);
    expect([...relationsUsed('// read from sync_runs, then records', tables)]).toEqual([]);
    expect([...relationsUsed('`DELETE FROM records WHERE id = $1`', tables)]).toEqual([['records', 'write']]);
  });

  it('flags a cross-package base-table read and a view write, accepts a view read (fixtures)', () => {
    const fixture = schemaObjects([
      { number: 100, text: 'CREATE TABLE connections (id bigint, secret text);' },
      {
        number: 103,
        text: '-- the published names\nCREATE VIEW connection_refs AS\nSELECT id FROM connections;',
      },
      { number: 500, text: 'CREATE TABLE schedules (connection_id bigint);' },
    ]);
    expect(fixture.get('connection_refs')).toEqual({ kind: 'view', migration: 103, reads: ['connections'] });
    const check = (pkg: string, text: string) => [...sourceViolations(fixture, rules, [{ pkg, file: 'x.ts', text }])];
    expect(check('scheduler', '`SELECT * FROM schedules sc JOIN connections c ON c.id = sc.connection_id`')).toEqual([
      ['scheduler:connections', ['x.ts']],
    ]);
    expect(
      check('scheduler', '`SELECT * FROM schedules sc JOIN connection_refs c ON c.id = sc.connection_id`'),
    ).toEqual([]);
    expect(check('scheduler', '`UPDATE connection_refs SET id = 1`')).toEqual([
      ['scheduler:connection_refs', ['x.ts']],
    ]);
    expect(check('scheduler', '`DELETE FROM connection_refs`')).toEqual([['scheduler:connection_refs', ['x.ts']]]);
    expect(check('auth', '`SELECT * FROM connections`; `DELETE FROM connection_refs`')).toEqual([]);
    expect(viewViolations(fixture, rules)).toEqual([]);
  });

  it('flags a view that publishes another package’s table (fixtures)', () => {
    const fixture = schemaObjects([
      { number: 100, text: 'CREATE TABLE connections (id bigint);' },
      { number: 400, text: 'CREATE TABLE deployments (id bigint, integration_id int);' },
      {
        number: 405,
        text: `CREATE OR REPLACE VIEW deployed_connections AS
          WITH d AS (SELECT * FROM deployments) SELECT c.id FROM connections c JOIN d ON true;
          CREATE VIEW own_deployments AS SELECT id FROM deployments;`,
      },
    ]);
    expect(fixture.get('deployed_connections')?.reads).toEqual(['connections', 'deployments']);
    expect(viewViolations(fixture, rules)).toEqual([
      'view deployed_connections (runner) selects from connections (auth)',
    ]);
  });

  it('every view selects only from its own package’s tables', () => {
    expect(viewViolations(schemaObjects(migrationTexts()), rules)).toEqual([]);
  });

  it('no package issues SQL against a table another package owns, nor writes another package’s view', () => {
    const found = [...sourceViolations(schemaObjects(migrationTexts()), rules, sourceFiles())].map(
      ([key, files]) => `${key} in ${files.join(', ')}`,
    );
    expect(
      found,
      "call the owning package's function (named SQL + typed rows in its sql.ts), or read a view it publishes",
    ).toEqual([]);
  });
});
