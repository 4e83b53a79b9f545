import type { ProviderCatalog } from './load-providers.js';

/** Nango's public logo for a provider key (the URL Nango's own API answers with). */
export const providerLogoUrl = (key: string) => `https://app.nango.dev/images/template-logos/${key}.svg`;

// Grouped once per catalogue: GET /providers asks for every entry's warnings.
const grouped = new WeakMap<ProviderCatalog, Map<string, Array<{ field: string; reason: string }>>>();
function warningsByProvider(catalog: ProviderCatalog): Map<string, Array<{ field: string; reason: string }>> {
  let map = grouped.get(catalog);
  if (map === undefined) {
    map = new Map();
    for (const w of catalog.warnings) {
      const list = map.get(w.provider) ?? [];
      list.push({ field: w.field, reason: w.reason });
      map.set(w.provider, list);
    }
    grouped.set(catalog, map);
  }
  return map;
}

/**
 * One catalogue entry as Nango's `GET /providers/:provider` answers it (`ApiProvider` in
 * @nangohq/types: the whole entry as written, alias merged, plus `name` and `logo_url`), with
 * Weft's verdict: `weft.supported`, `weft.reason` when false, and `weft.warnings` for fields Weft
 * does not act on. Undefined for an unknown key.
 */
export function publicProvider(catalog: ProviderCatalog, key: string): Record<string, unknown> | undefined {
  const entry = catalog.entry(key);
  if (entry === undefined) return undefined;
  const support = catalog.support(key);
  const warnings = warningsByProvider(catalog).get(key) ?? [];
  return {
    ...entry,
    name: key,
    logo_url: providerLogoUrl(key),
    weft: {
      supported: support.supported,
      ...(support.reason === undefined ? {} : { reason: support.reason }),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}
