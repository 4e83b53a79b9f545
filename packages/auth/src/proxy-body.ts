import { accessTokenOf, type Credentials } from './credentials.js';
import { interpolate } from './interpolate.js';
import type { BodyValue, ProviderDefinition } from './provider-schema.js';

/**
 * The provider's `proxy.body` (values every request body carries, e.g. Mandrill's `key`), templated
 * with the connection's credentials and connection_config as Nango does: a leaf whose placeholder
 * does not resolve is dropped, and so is a map left empty. Undefined when there is nothing to add.
 * Host-side only: the result may hold secrets.
 */
export function proxyBodyOf(
  provider: ProviderDefinition,
  credentials: Credentials,
  connectionConfig: Record<string, unknown>,
): Record<string, BodyValue> | undefined {
  const template = provider.proxy?.body;
  if (template === undefined) return undefined;
  const values = {
    ...(credentials as unknown as Record<string, unknown>),
    connectionConfig,
    credentials: credentials as unknown as Record<string, unknown>,
    ...(accessTokenOf(credentials) !== undefined ? { accessToken: accessTokenOf(credentials) } : {}),
  };
  const build = (value: BodyValue): BodyValue | undefined => {
    if (typeof value === 'string') return interpolate(value, values);
    const nested: Record<string, BodyValue> = {};
    for (const [key, inner] of Object.entries(value)) {
      const built = build(inner);
      if (built !== undefined) nested[key] = built;
    }
    return Object.keys(nested).length > 0 ? nested : undefined;
  };
  const body = build(template);
  return typeof body === 'object' ? body : undefined;
}
