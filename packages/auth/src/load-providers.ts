import { readFile } from 'node:fs/promises';
import * as yaml from 'js-yaml';
import { authErrors } from './errors.js';
import { analyzeProvider } from './provider-fields.js';
import { type ProviderDefinition, type ProviderSupport, providerSchema } from './provider-schema.js';

/** A field Weft does not act on in one entry (reported at start, and by GET /providers). */
export interface ProviderWarning {
  file: string;
  line: number;
  provider: string;
  field: string;
  reason: string;
  /** `file:line provider.field: reason`. */
  message: string;
}

export interface ProviderCatalog {
  /** Resolved entry (alias merged), or undefined. */
  get(key: string): ProviderDefinition | undefined;
  /** The entry as written (alias merged, values untouched): Nango's shape, for GET /providers. */
  entry(key: string): Record<string, unknown> | undefined;
  /** Whether connections can be made for it, and why not. Unknown keys are unsupported. */
  support(key: string): ProviderSupport;
  keys(): string[];
  /** Fields Nango acts on that Weft ignores, per entry, with file:line. */
  warnings: ProviderWarning[];
  /** Where it was loaded from (for messages). */
  file: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key, the override wins for everything else (lists included). */
export function mergeProvider(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeProvider(current, value) : value;
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lines of a YAML text and the line index of each top-level key (built once per file: 28k lines for Nango's). */
function indexText(text: string): { lines: string[]; topLevel: Map<string, number> } {
  const lines = text.split('\n');
  const topLevel = new Map<string, number>();
  const key = /^['"]?([^'"\s:#][^'":]*?)['"]?\s*:/;
  lines.forEach((line, i) => {
    const match = key.exec(line);
    if (match && !topLevel.has(match[1] as string)) topLevel.set(match[1] as string, i);
  });
  return { lines, topLevel };
}

/** 1-based line of `key` (or of `key.path…` inside it) in the YAML text, for error messages. */
export function lineOf(text: string, key: string, path: readonly (string | number)[] = []): number | undefined {
  return lineIn(indexText(text), key, path);
}

function lineIn(
  indexed: { lines: string[]; topLevel: Map<string, number> },
  key: string,
  path: readonly (string | number)[] = [],
): number | undefined {
  const { lines } = indexed;
  let index = indexed.topLevel.get(key) ?? -1;
  if (index === -1) return undefined;
  let indent = 0;
  for (const segment of path) {
    if (typeof segment === 'number') break;
    const pattern = new RegExp(`^(\\s+)['"]?${escapeRegExp(segment)}['"]?\\s*:`);
    let found = -1;
    for (let i = index + 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const lineIndent = line.length - line.trimStart().length;
      if (lineIndent <= indent) break;
      const match = pattern.exec(line);
      if (match && (match[1] as string).length > indent) {
        found = i;
        indent = (match[1] as string).length;
        break;
      }
    }
    if (found === -1) break;
    index = found;
  }
  return index + 1;
}

/**
 * Parse and validate a providers.yaml text (Nango's format, so Nango's own catalogue loads
 * unchanged). `alias: other` takes the other entry's fields and replaces those this entry sets,
 * field by field as Nango does (a `proxy:` of its own replaces the other's whole `proxy`).
 * A malformed file (YAML syntax, a wrong-typed field) fails with every problem as
 * `file:line key.field: reason`; fields Weft does not act on are warnings, and entries it cannot
 * serve load with `support(key).supported === false`, never refusing the rest of the file.
 */
export function parseProviders(text: string, file: string): ProviderCatalog {
  let raw: unknown;
  try {
    raw = yaml.load(text);
  } catch (error) {
    const mark = (error as { mark?: { line: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    const problems = [`${file}:${(mark?.line ?? 0) + 1}: YAML syntax error: ${reason}`];
    throw authErrors.create('WEFT_AUTH_PROVIDERS_INVALID', { file, problems: problems.join('; ') }, { problems });
  }
  if (!isPlainObject(raw)) {
    const problems = [`${file}:1: expected a mapping of provider keys to entries`];
    throw authErrors.create('WEFT_AUTH_PROVIDERS_INVALID', { file, problems: problems.join('; ') }, { problems });
  }
  const entries = raw;
  const problems: string[] = [];
  const resolved = new Map<string, ProviderDefinition>();
  const written = new Map<string, Record<string, unknown>>();
  const supports = new Map<string, ProviderSupport>();
  const warnings: ProviderWarning[] = [];
  const indexed = indexText(text);
  const lineOf = (key: string, path: readonly (string | number)[] = []) => lineIn(indexed, key, path);

  const resolveRaw = (key: string, seen: string[]): Record<string, unknown> | undefined => {
    const entry = entries[key];
    if (!isPlainObject(entry)) return undefined;
    const alias = entry.alias;
    if (typeof alias !== 'string') return entry;
    if (seen.includes(alias)) {
      problems.push(`${file}:${lineOf(key, ['alias'])} ${key}.alias: alias cycle ${[...seen, alias].join(' → ')}`);
      return undefined;
    }
    const base = resolveRaw(alias, [...seen, alias]);
    if (base === undefined) {
      if (!isPlainObject(entries[alias])) {
        problems.push(`${file}:${lineOf(key, ['alias'])} ${key}.alias: unknown provider ${JSON.stringify(alias)}`);
      }
      return undefined;
    }
    const { alias: _alias, ...own } = entry;
    return { ...base, ...own };
  };

  for (const key of Object.keys(entries)) {
    if (!isPlainObject(entries[key])) {
      problems.push(`${file}:${lineOf(key)} ${key}: expected a mapping (display_name, auth_mode, …)`);
      continue;
    }
    const merged = resolveRaw(key, [key]);
    if (merged === undefined) continue;
    const result = providerSchema.safeParse(merged);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map(String);
        const line = lineOf(key, issue.path as (string | number)[]) ?? lineOf(key);
        problems.push(`${file}:${line} ${[key, ...path].join('.')}: ${issue.message}`);
      }
      continue;
    }
    resolved.set(key, result.data);
    written.set(key, merged);
    const analysis = analyzeProvider(result.data);
    supports.set(key, analysis.support);
    for (const warning of analysis.warnings) {
      // The line of the field in this entry, else in the aliased entry it came from, else the entry's.
      const path = warning.field.split('.');
      const own = entries[key] as Record<string, unknown>;
      const from = path[0] !== undefined && !(path[0] in own) && typeof own.alias === 'string' ? own.alias : key;
      const line = lineOf(from, path) ?? lineOf(key) ?? 1;
      warnings.push({
        file,
        line,
        provider: key,
        field: warning.field,
        reason: warning.reason,
        message: `${file}:${line} ${key}.${warning.field}: ${warning.reason}`,
      });
    }
  }
  if (problems.length > 0) {
    throw authErrors.create('WEFT_AUTH_PROVIDERS_INVALID', { file, problems: problems.join('; ') }, { problems });
  }
  const keys = [...resolved.keys()].sort();
  return {
    file,
    warnings,
    get: (key) => resolved.get(key),
    entry: (key) => written.get(key),
    support: (key) => supports.get(key) ?? { supported: false, reason: `unknown provider ${key}` },
    keys: () => [...keys],
  };
}

/** Read and validate providers.yaml (see parseProviders); fails with file:line for each bad entry. */
export async function loadProviders(file: string): Promise<ProviderCatalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const problems = [`${file}: cannot read: ${(error as Error).message}`];
    throw authErrors.create('WEFT_AUTH_PROVIDERS_INVALID', { file, problems: problems.join('; ') }, { problems });
  }
  return parseProviders(text, file);
}
