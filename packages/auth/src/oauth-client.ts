import { authErrors } from './errors.js';
import type { Integration } from './integrations.js';
import { interpolate } from './interpolate.js';
import type { InputField, ProviderDefinition } from './provider-schema.js';

/** Everything needed to talk OAuth2 to one integration for one connection, templated. */
export interface OAuthClient {
  authorizationUrl: string | undefined;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  scopeSeparator: string;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  refreshParams: Record<string, string>;
  pkce: boolean;
  clientAuth: 'body' | 'basic';
  bodyFormat: 'form' | 'json';
}

function templated(
  values: Record<string, string> | undefined,
  connectionConfig: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(values ?? {})) {
    const value = interpolate(template, { connectionConfig });
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Fields the end user must supply: declared, not automated, not optional. */
export function requiredConnectionConfig(provider: ProviderDefinition): Array<[string, InputField]> {
  return Object.entries(provider.connection_config ?? {}).filter(([, field]) => !field.automated && !field.optional);
}

/** Reject a connection_config that misses a declared field or breaks its pattern, naming the field. */
export function checkConnectionConfig(
  provider: ProviderDefinition,
  uniqueKey: string,
  connectionConfig: Record<string, unknown>,
): void {
  for (const [field, spec] of requiredConnectionConfig(provider)) {
    const value = connectionConfig[field];
    if (value === undefined || value === null || value === '') {
      throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
        uniqueKey,
        field,
        title: spec.title ?? spec.description ?? field,
      });
    }
  }
  for (const [field, spec] of Object.entries(provider.connection_config ?? {})) {
    const value = connectionConfig[field];
    if (typeof value === 'string' && spec.pattern !== undefined && !new RegExp(spec.pattern).test(value)) {
      throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
        uniqueKey,
        field,
        title: `${spec.title ?? field} must match ${spec.pattern}`,
      });
    }
  }
}

function scopesFor(integration: Integration, provider: ProviderDefinition): string[] {
  const scopes = integration.scopes.length > 0 ? [...integration.scopes] : [...(provider.default_scopes ?? [])];
  // e.g. Microsoft issues no refresh token without offline_access (design §3.2): put it back.
  for (const required of [...(provider.required_scopes ?? [])].reverse()) {
    if (!scopes.includes(required)) scopes.unshift(required);
  }
  return scopes;
}

export function oauthClient(
  integration: Integration,
  provider: ProviderDefinition,
  connectionConfig: Record<string, unknown>,
): OAuthClient {
  const tokenTemplate = typeof provider.token_url === 'string' ? provider.token_url : provider.token_url?.OAUTH2;
  const tokenUrl = tokenTemplate === undefined ? undefined : interpolate(tokenTemplate, { connectionConfig });
  if (tokenUrl === undefined) {
    throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
      uniqueKey: integration.uniqueKey,
      field: 'token_url',
      title: 'token URL (check connection_config)',
    });
  }
  const authorizationUrl =
    provider.authorization_url === undefined
      ? undefined
      : interpolate(provider.authorization_url, { connectionConfig });
  const extra = provider as Record<string, unknown>;
  return {
    authorizationUrl,
    tokenUrl,
    clientId: integration.clientId ?? '',
    clientSecret: integration.clientSecret ?? '',
    scopes: scopesFor(integration, provider),
    scopeSeparator: provider.scope_separator ?? ' ',
    authorizationParams: {
      ...templated(provider.authorization_params, connectionConfig),
      ...integration.authorizationParams,
    },
    tokenParams: templated(provider.token_params, connectionConfig),
    refreshParams: templated(provider.refresh_params, connectionConfig),
    pkce: provider.disable_pkce !== true,
    clientAuth: extra.token_request_auth_method === 'basic' ? 'basic' : 'body',
    bodyFormat: provider.body_format === 'json' ? 'json' : 'form',
  };
}

export function expiresAtFrom(expiresIn: number | undefined, now = Date.now()): string | undefined {
  return expiresIn === undefined ? undefined : new Date(now + expiresIn * 1000).toISOString();
}
