import type { ProviderCatalog } from './load-providers.js';

/** Nango's public logo for a provider key (the URL Nango's own API answers with). */
export const providerLogoUrl = (key: string) => `https://app.nango.dev/images/template-logos/${key}.svg`;

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
  const warnings = catalog.warnings
    .filter((w) => w.provider === key)
    .map((w) => ({ field: w.field, reason: w.reason }));
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
