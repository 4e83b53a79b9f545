import { outboundDispatcher, outboundRefusalOf } from '@weft/core';
import { request } from 'undici';
import { interpolate } from './interpolate.js';
import { type OAuthClient, tokenRequestOptions } from './oauth-client.js';
import type { ProviderDefinition } from './provider-schema.js';
import { callTokenEndpoint } from './token-endpoint.js';

function pick(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Fetch the provider's declared secondary tokens (e.g. SharePoint's resource token) with the
 * connection's refresh token and return the connection_config additions. Declared as data in
 * providers.yaml (`secondary_tokens`), so no provider is special-cased in code. A failure here is
 * reported, not fatal: the main connection works without it. The exchange may rotate the refresh
 * token: callers must store the returned `refreshToken`, or the next refresh fails (invalid_grant).
 */
export async function fetchSecondaryTokens(options: {
  provider: ProviderDefinition;
  client: OAuthClient;
  accessToken: string;
  refreshToken: string | undefined;
  grantedScopes: string[];
  connectionConfig: Record<string, unknown>;
}): Promise<{ connectionConfig: Record<string, unknown>; errors: string[]; refreshToken: string | undefined }> {
  const additions: Record<string, unknown> = {};
  const errors: string[] = [];
  // Microsoft rotates refresh tokens on every use, this exchange included: keep the newest.
  let refreshToken = options.refreshToken;
  for (const spec of options.provider.secondary_tokens ?? []) {
    if (spec.when_scopes_include?.some((scope) => !options.grantedScopes.includes(scope))) continue;
    if (refreshToken === undefined) {
      errors.push(`${spec.name}: no refresh token to obtain it with`);
      continue;
    }
    try {
      const config = { ...options.connectionConfig, ...additions };
      if (spec.discover !== undefined && config[spec.discover.as] === undefined) {
        const base = interpolate(options.provider.proxy?.base_url ?? '', { connectionConfig: config }) ?? '';
        const response = await request(`${base.replace(/\/$/, '')}${spec.discover.endpoint}`, {
          dispatcher: outboundDispatcher(),
          headers: { authorization: `Bearer ${options.accessToken}`, accept: 'application/json' },
        });
        const body = (await response.body.json()) as unknown;
        const value = pick(body, spec.discover.response_path);
        if (response.statusCode >= 300 || typeof value !== 'string') {
          throw new Error(
            `discovery ${spec.discover.endpoint} answered ${response.statusCode} without ${spec.discover.response_path}`,
          );
        }
        additions[spec.discover.as] = value;
        config[spec.discover.as] = value;
      }
      const scope = interpolate(spec.scope, { connectionConfig: config });
      if (scope === undefined) throw new Error(`scope ${spec.scope} does not resolve`);
      const token = await callTokenEndpoint({
        url: options.client.tokenUrl,
        params: { grant_type: 'refresh_token', refresh_token: refreshToken, scope },
        ...tokenRequestOptions(options.client, options.provider),
      });
      additions[spec.name] = token.access_token;
      if (typeof token.refresh_token === 'string' && token.refresh_token !== '') refreshToken = token.refresh_token;
    } catch (error) {
      const refusal = outboundRefusalOf(error);
      errors.push(`${spec.name}: ${refusal ? `${refusal.code}: ${refusal.message}` : (error as Error).message}`);
    }
  }
  return { connectionConfig: additions, errors, refreshToken };
}

/** connection_config keys that hold credentials (the provider's secondary tokens): stored sealed. */
export function secretConfigKeysOf(provider: { secondary_tokens?: Array<{ name: string }> | undefined }): string[] {
  return (provider.secondary_tokens ?? []).map((t) => t.name);
}
