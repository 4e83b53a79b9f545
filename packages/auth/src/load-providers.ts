import { readFile } from 'node:fs/promises';
import * as yaml from 'js-yaml';
import { authErrors } from './errors.js';
import { type ProviderDefinition, providerSchema } from './provider-schema.js';

export interface ProviderCatalog {
  /** Resolved entry (alias merged), or undefined. */
  get(key: string): ProviderDefinition | undefined;
  keys(): string[];
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

/** 1-based line of `key` (or of `key.path…` inside it) in the YAML text, for error messages. */
export function lineOf(text: string, key: string, path: readonly (string | number)[] = []): number | undefined {
  const lines = text.split('\n');
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let index = lines.findIndex((line) => new RegExp(`^['"]?${escapeRegExp(key)}['"]?\\s*:`).test(line));
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
 * unchanged). `alias: other` deep-merges the other entry under this one's explicit fields.
 * Every problem is reported at once as `file:line key.field: reason`.
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

  const resolveRaw = (key: string, seen: string[]): Record<string, unknown> | undefined => {
    const entry = entries[key];
    if (!isPlainObject(entry)) return undefined;
    const alias = entry.alias;
    if (typeof alias !== 'string') return entry;
    if (seen.includes(alias)) {
      problems.push(
        `${file}:${lineOf(text, key, ['alias'])} ${key}.alias: alias cycle ${[...seen, alias].join(' → ')}`,
      );
      return undefined;
    }
    const base = resolveRaw(alias, [...seen, alias]);
    if (base === undefined) {
      if (!isPlainObject(entries[alias])) {
        problems.push(
          `${file}:${lineOf(text, key, ['alias'])} ${key}.alias: unknown provider ${JSON.stringify(alias)}`,
        );
      }
      return undefined;
    }
    const { alias: _alias, ...own } = entry;
    return mergeProvider(base, own);
  };

  for (const key of Object.keys(entries)) {
    if (!isPlainObject(entries[key])) {
      problems.push(`${file}:${lineOf(text, key)} ${key}: expected a mapping (display_name, auth_mode, …)`);
      continue;
    }
    const merged = resolveRaw(key, [key]);
    if (merged === undefined) continue;
    const result = providerSchema.safeParse(merged);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map(String);
        const line = lineOf(text, key, issue.path as (string | number)[]) ?? lineOf(text, key);
        problems.push(`${file}:${line} ${[key, ...path].join('.')}: ${issue.message}`);
      }
      continue;
    }
    resolved.set(key, result.data);
  }
  if (problems.length > 0) {
    throw authErrors.create('WEFT_AUTH_PROVIDERS_INVALID', { file, problems: problems.join('; ') }, { problems });
  }
  return {
    file,
    get: (key) => resolved.get(key),
    keys: () => [...resolved.keys()].sort(),
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
