import { createHash } from 'node:crypto';

function write(value: unknown, out: string[]): void {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify handles escaping, NaN/Infinity → null and BigInt errors consistently.
    out.push(
      value === undefined || typeof value === 'function' || typeof value === 'symbol' ? 'null' : JSON.stringify(value),
    );
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    write((value as { toJSON: () => unknown }).toJSON(), out);
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out);
    }
    out.push(']');
    return;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  out.push('{');
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(key), ':');
    write(item, out);
  }
  out.push('}');
}

/**
 * JSON with object keys sorted at every depth, so two records with the same content always
 * serialise (and hash) the same whatever order the script built them in. Same value rules as
 * JSON.stringify (undefined members dropped, toJSON honoured).
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

/** sha256 (base64) of the canonical JSON; what the store compares to skip unchanged records. */
export function contentHash(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64');
}
