import { modeDefaultHeaders } from './auth-modes/registry.js';
import { accessTokenOf, type Credentials } from './credentials.js';
import { interpolate } from './interpolate.js';
import type { ProviderDefinition } from './provider-schema.js';

/**
 * Headers and query parameters that authenticate a request to the provider's API: the
 * provider's declared `proxy.headers`/`proxy.query` templated with the credentials, else the
 * default for the auth mode (Bearer token, Basic). Host-side only: the result holds secrets.
 */
export function authRequestParts(
  provider: ProviderDefinition,
  credentials: Credentials,
  connectionConfig: Record<string, unknown>,
): { headers: Record<string, string>; query: Record<string, string> } {
  const values = {
    connectionConfig,
    credentials: credentials as unknown as Record<string, unknown>,
    ...(credentials.type === 'API_KEY' ? { apiKey: credentials.apiKey } : {}),
    ...(credentials.type === 'BASIC' ? { username: credentials.username, password: credentials.password } : {}),
    ...(accessTokenOf(credentials) !== undefined ? { accessToken: accessTokenOf(credentials) } : {}),
  };
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(provider.proxy?.headers ?? {})) {
    const value = interpolate(template, values);
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  // Every proxy.query parameter, templated as Nango does (`key: ${apiKey}`, `token: ${accessToken}`);
  // one whose placeholders do not resolve is left out.
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(provider.proxy?.query ?? {})) {
    const value = interpolate(template, values);
    if (value !== undefined) query[name] = value;
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a providers.yaml placeholder, not a JS template
  const apiKeyInQuery = Object.values(provider.proxy?.query ?? {}).some((t) => t.includes('${apiKey}'));
  const modeHeaders = modeDefaultHeaders(credentials, provider);
  if (modeHeaders !== undefined) {
    // Modes in auth-modes/ (TWO_STEP, JWT, …): their own default, under the provider's declared headers.
    for (const [name, value] of Object.entries(modeHeaders)) headers[name] ??= value;
  } else if (headers.authorization === undefined) {
    const token = accessTokenOf(credentials);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    else if (credentials.type === 'BASIC') {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    } else if (credentials.type === 'API_KEY' && !apiKeyInQuery) {
      headers.authorization = `Bearer ${credentials.apiKey}`;
    }
  }
  return { headers, query };
}
