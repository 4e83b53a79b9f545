import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 ? 1 : -1));
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, seed + 1)]));
}

describe('canonicalJson', () => {
  it('is independent of key order and parses back to the same value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(100), (value, seed) => {
        const a = canonicalJson(value);
        expect(canonicalJson(shuffleKeys(value, seed))).toBe(a);
        expect(JSON.parse(a)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts nested keys, drops undefined members like JSON.stringify and honours toJSON', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined }, when: new Date(0) })).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1,"when":"1970-01-01T00:00:00.000Z"}',
    );
    expect(canonicalJson({ b: 1, 10: 'x', 9: 'y' })).toBe(canonicalJson({ 9: 'y', b: 1, 10: 'x' }));
    expect(canonicalJson([undefined, () => 1])).toBe('[null,null]');
    expect(canonicalJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}');
  });
});
