import { hash } from 'node:crypto';

/**
 * The value with every object's keys re-inserted in sorted order, sharing every subtree that is
 * already sorted (records built by the same mapping code usually are, below the top level).
 * Integer-like keys end up first in numeric order, as JavaScript enumerates them: still one
 * deterministic order for equal content, which is all hashing needs.
 */
function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const next = sorted(item);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (value instanceof Date) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return sorted((value as { toJSON: () => unknown }).toJSON());
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (!((keys[i - 1] as string) < (keys[i] as string))) {
      inOrder = false;
      break;
    }
  }
  let changed = !inOrder;
  const children: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const item = object[keys[i] as string];
    const next = sorted(item);
    children[i] = next;
    if (next !== item) changed = true;
  }
  if (!changed) return value;
  const order = keys.map((_key, i) => i);
  if (!inOrder) order.sort((a, b) => ((keys[a] as string) < (keys[b] as string) ? -1 : 1));
  const out: Record<string, unknown> = {};
  for (const i of order) {
    const key = keys[i] as string;
    // A plain assignment to "__proto__" would set the prototype instead of a member (records parsed from JSON can carry that key).
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: children[i], enumerable: true, writable: true, configurable: true });
    else out[key] = children[i];
  }
  return out;
}

/**
 * JSON with object keys sorted at every depth, so two records with the same content always
 * serialise (and hash) the same whatever order the script built them in. Same value rules as
 * JSON.stringify (undefined members dropped, toJSON honoured); the string itself is built by the
 * native JSON.stringify, which keeps this close to plain stringify speed.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value)) ?? 'null';
}

/** sha256 (base64) of the canonical JSON; what the store compares to skip unchanged records. */
export function contentHash(canonical: string): string {
  return hash('sha256', canonical, 'base64');
}
