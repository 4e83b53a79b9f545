/**
 * The checker behind test/foundation/table-owners.test.ts, as pure functions over text so the test
 * can run it on the real migrations and sources and on small fixtures alike.
 *
 * Rules: a table's SQL lives only in its owner's `src/`. A view is an owner's published read
 * contract: it belongs to the package of the migration area that creates it, selects only from
 * that package's own relations, and any package may read it (FROM/JOIN) but only the owner may
 * write it (INSERT/UPDATE/DELETE/COPY/TRUNCATE/ALTER) or name it in the catalog.
 */

/** A table or view the migrations leave behind. */
export interface SchemaObject {
  kind: 'table' | 'view';
  /** Number of the migration that created (or last renamed) it: its area names the owner. */
  migration: number;
  /** For a view: the relations (tables or views) its query selects from. */
  reads: string[];
}

export interface OwnerRules {
  areas: ReadonlyArray<{ from: number; to: number; owner: string }>;
  overrides: Readonly<Record<string, string>>;
}

/** One `-- comment` free migration text with its number. */
export interface MigrationText {
  number: number;
  text: string;
}

const READ = /\b(?:FROM|JOIN)\s+(?:ONLY\s+)?"?(\w+)"?/g;
const WRITE = [
  /\b(?:INTO|UPDATE|TABLE|TRUNCATE|COPY|DELETE\s+FROM)\s+(?:ONLY\s+)?"?(\w+)"?/g,
  // The catalog (statistics, sizes) is the owner's business too.
  /relname\s*=\s*'(\w+)'/g,
  /'(\w+)'::regclass/g,
];

/** Tables and views after applying every migration in order (creates, renames, drops). */
export function schemaObjects(migrations: ReadonlyArray<MigrationText>): Map<string, SchemaObject> {
  const objects = new Map<string, SchemaObject>();
  for (const { number, text: raw } of [...migrations].sort((a, b) => a.number - b.number)) {
    const text = raw.replace(/--.*$/gm, '');
    for (const m of text.matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/gi))
      objects.set(m[1] as string, { kind: 'table', migration: number, reads: [] });
    // A function counts as a table: SQL calling one (`FROM weft_save_records(…)`) is SQL against
    // the tables inside it, so only the package owning its migration's area may call it.
    for (const m of text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)/gi))
      objects.set(m[1] as string, { kind: 'table', migration: number, reads: [] });
    for (const m of text.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)[^;]*?\bAS\b([^;]*)/gi)) {
      const reads = new Set([...(m[2] as string).matchAll(READ)].map((r) => r[1] as string));
      objects.set(m[1] as string, { kind: 'view', migration: number, reads: [...reads].sort() });
    }
    for (const m of text.matchAll(/ALTER\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?(\w+)\s+RENAME\s+TO\s+(\w+)/gi)) {
      const before = objects.get(m[1] as string);
      objects.delete(m[1] as string);
      objects.set(m[2] as string, before ?? { kind: 'table', migration: number, reads: [] });
    }
    for (const m of text.matchAll(/DROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?(\w+)/gi)) objects.delete(m[1] as string);
  }
  // A view reads relations, not CTE names or functions: keep only what the schema defines.
  for (const object of objects.values()) object.reads = object.reads.filter((r) => objects.has(r));
  return objects;
}

/** The package owning a table or view: OVERRIDES first, else its migration's area. */
export function ownerOf(name: string, object: SchemaObject, rules: OwnerRules): string | undefined {
  return (
    rules.overrides[name] ?? rules.areas.find((a) => object.migration >= a.from && object.migration <= a.to)?.owner
  );
}

/**
 * Relations a source text issues SQL against, each with how: `read` after FROM/JOIN, `write`
 * after INTO/UPDATE/DELETE FROM/TABLE/TRUNCATE/COPY or named in the catalog. SQL keywords are upper case in
 * this codebase, so prose in comments ("read from sync_runs") does not count.
 */
export function relationsUsed(text: string, names: ReadonlySet<string>): Map<string, 'read' | 'write'> {
  const used = new Map<string, 'read' | 'write'>();
  for (const m of text.matchAll(READ)) if (names.has(m[1] as string)) used.set(m[1] as string, 'read');
  for (const pattern of WRITE)
    for (const m of text.matchAll(pattern)) if (names.has(m[1] as string)) used.set(m[1] as string, 'write');
  return used;
}

/** Views that select from a relation of another package (a view publishes its owner's data only). */
export function viewViolations(objects: ReadonlyMap<string, SchemaObject>, rules: OwnerRules): string[] {
  const found: string[] = [];
  for (const [name, object] of objects) {
    if (object.kind !== 'view') continue;
    const owner = ownerOf(name, object, rules);
    for (const read of object.reads) {
      const readOwner = ownerOf(read, objects.get(read) as SchemaObject, rules);
      if (readOwner !== owner) found.push(`view ${name} (${owner}) selects from ${read} (${readOwner})`);
    }
  }
  return found.sort();
}

/**
 * SQL of a package against a relation it does not own, as `package:relation` → files: any use of
 * another package's table, and any write (or catalog use) of another package's view.
 */
export function sourceViolations(
  objects: ReadonlyMap<string, SchemaObject>,
  rules: OwnerRules,
  files: ReadonlyArray<{ pkg: string; file: string; text: string }>,
): Map<string, string[]> {
  const names = new Set(objects.keys());
  const where = new Map<string, string[]>();
  for (const { pkg, file, text } of files) {
    for (const [name, access] of relationsUsed(text, names)) {
      const object = objects.get(name) as SchemaObject;
      if (ownerOf(name, object, rules) === pkg) continue;
      if (object.kind === 'view' && access === 'read') continue;
      const key = `${pkg}:${name}`;
      where.set(key, [...(where.get(key) ?? []), file]);
    }
  }
  return new Map([...where].sort(([a], [b]) => a.localeCompare(b)));
}
