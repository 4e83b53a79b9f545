import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type ProviderCatalog, parseProviders } from '@weft/auth';
import * as yaml from 'js-yaml';

const catalogueFile = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');

/**
 * Entries of Nango's own catalogue (`@nangohq/providers`, pinned), unchanged, as a provider
 * catalogue: tests of an auth mode run against the entries real users will pick.
 */
export async function catalogueEntries(names: string[]): Promise<ProviderCatalog> {
  const all = yaml.load(await readFile(catalogueFile, 'utf8')) as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    if (all[name] === undefined) throw new Error(`${name} is not in the pinned catalogue`);
    picked[name] = all[name];
  }
  return parseProviders(yaml.dump(picked), `${catalogueFile} (${names.join(', ')})`);
}
