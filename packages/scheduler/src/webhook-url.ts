import { environmentName, type Pool } from '@weft/db';

/**
 * What `nango.getWebhookURL()` returns for an integration: Weft's public inbound-webhook route,
 * `<public URL>/webhook/<environment name>/<integration key>` (environment names cached: they
 * never change).
 */
export function webhookUrlResolver(pool: Pool, publicUrl: string) {
  const names = new Map<number, string>();
  const base = publicUrl.replace(/\/$/, '');
  return async (environmentId: number, providerConfigKey: string): Promise<string | null> => {
    let name = names.get(environmentId);
    if (name === undefined) {
      name = (await environmentName(pool, environmentId)) ?? undefined;
      if (name === undefined) return null;
      names.set(environmentId, name);
    }
    return `${base}/webhook/${encodeURIComponent(name)}/${encodeURIComponent(providerConfigKey)}`;
  };
}
