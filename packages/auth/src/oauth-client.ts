import { authErrors } from './errors.js';
import type { Integration } from './integrations.js';
import { interpolate } from './interpolate.js';
import type { BodyValue, InputField, ProviderDefinition } from './provider-schema.js';

/**
 * Where the client id and secret go in token requests (Nango's `authorization_method` and
 * `token_request_auth_method`): `body` (default), `basic` (HTTP Basic only: authorization_method
 * header), `basic+body` (token_request_auth_method basic: Nango adds the Basic header and keeps the
 * body parameters), `custom` (as `username`/`password` body parameters, client credentials only),
 * `private_key_jwt` (a signed client assertion; the client secret is the private JWK).
 */
export type ClientAuth = 'body' | 'basic' | 'basic+body' | 'custom' | 'private_key_jwt';

/** Everything needed to talk OAuth2 to one integration for one connection, templated. */
export interface OAuthClient {
  authorizationUrl: string | undefined;
  tokenUrl: string;
  /** `refresh_url` when the provider has one, else the token URL. */
  refreshUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  scopeSeparator: string;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  refreshParams: Record<string, string>;
  pkce: boolean;
  clientAuth: ClientAuth;
  /** `query`: parameters in the token URL, no body (Nango, client credentials). */
  bodyFormat: 'form' | 'json' | 'query';
}

/** Flat OAuth2 parameters, templated; nested values (only TWO_STEP bodies have them) are left out. */
function templated(
  values: Record<string, BodyValue> | undefined,
  connectionConfig: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(values ?? {})) {
    if (typeof template !== 'string') continue;
    const value = interpolate(template, { connectionConfig });
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function clientAuthOf(provider: ProviderDefinition): ClientAuth {
  if (provider.authorization_method === 'header') return 'basic';
  if (provider.token_request_auth_method === 'basic') return 'basic+body';
  if (provider.token_request_auth_method === 'custom') return 'custom';
  if (provider.token_request_auth_method === 'private_key_jwt') return 'private_key_jwt';
  return 'body';
}

/**
 * Fields the end user must supply: declared, not automated, not optional, and not one the
 * provider sends back itself (token_response_metadata, redirect_uri_metadata: Wrike's `host`)
 * unless the authorization or token URL needs it first.
 */
export function requiredConnectionConfig(provider: ProviderDefinition): Array<[string, InputField]> {
  const returned = new Set([...(provider.token_response_metadata ?? []), ...(provider.redirect_uri_metadata ?? [])]);
  const urls = [
    provider.authorization_url ?? '',
    typeof provider.token_url === 'string' ? provider.token_url : Object.values(provider.token_url ?? {}).join(' '),
  ].join(' ');
  return Object.entries(provider.connection_config ?? {}).filter(
    ([name, field]) =>
      !field.automated && !field.optional && (!returned.has(name) || urls.includes(`connectionConfig.${name}`)),
  );
}

/** A pattern that does not compile (the loader warned about it) checks nothing. */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return true;
  }
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
    if (typeof value === 'string' && spec.pattern !== undefined && !matches(spec.pattern, value)) {
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
  const refreshUrl =
    provider.refresh_url === undefined
      ? tokenUrl
      : (interpolate(provider.refresh_url, { connectionConfig }) ?? tokenUrl);
  const tokenParams = templated(provider.token_params, connectionConfig);
  return {
    authorizationUrl,
    tokenUrl,
    refreshUrl,
    clientId: integration.clientId ?? '',
    clientSecret: integration.clientSecret ?? '',
    scopes: scopesFor(integration, provider),
    scopeSeparator: provider.scope_separator ?? ' ',
    authorizationParams: {
      ...templated(provider.authorization_params, connectionConfig),
      ...integration.authorizationParams,
    },
    tokenParams,
    // Nango refreshes with refresh_params, else token_params (minus the code grant's grant_type).
    refreshParams:
      provider.refresh_params !== undefined
        ? templated(provider.refresh_params, connectionConfig)
        : Object.fromEntries(Object.entries(tokenParams).filter(([key]) => key !== 'grant_type')),
    pkce: provider.disable_pkce !== true,
    clientAuth: clientAuthOf(provider),
    bodyFormat: provider.body_format === 'json' ? 'json' : provider.body_format === 'query' ? 'query' : 'form',
  };
}

/** The token-endpoint options of a client (pass to callTokenEndpoint with a URL and params). */
export function tokenRequestOptions(client: OAuthClient, provider: ProviderDefinition) {
  return {
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    clientAuth: client.clientAuth,
    bodyFormat: client.bodyFormat,
    ...(provider.alternate_access_token_response_path === undefined
      ? {}
      : { alternateAccessTokenPath: provider.alternate_access_token_response_path }),
    ...(provider.expires_in_unit === undefined ? {} : { expiresInUnit: provider.expires_in_unit }),
  };
}

/**
 * connection_config with the provider's declared `default_value`s filled in where the end user
 * left a field out (Nango's connect UI pre-fills them), e.g. an API version.
 */
export function withConnectionConfigDefaults(
  provider: ProviderDefinition,
  connectionConfig: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...connectionConfig };
  for (const [field, spec] of Object.entries(provider.connection_config ?? {})) {
    if (spec.default_value !== undefined && (out[field] === undefined || out[field] === ''))
      out[field] = spec.default_value;
  }
  return out;
}

/**
 * Nango's authorization-URL adjustments, in Nango's order: scopes not percent-encoded
 * (`authorization_url_skip_encode: [scopes]`), the query moved behind a fragment
 * (`authorization_url_fragment`), literal replacements (`authorization_url_replacements`), and
 * empty parameters dropped (`authorization_url_skip_empty`).
 */
export function finishAuthorizationUrl(url: URL, provider: ProviderDefinition, scope: string): string {
  let out = url.toString();
  if (provider.authorization_url_skip_encode?.includes('scopes')) {
    const target = new URL(out);
    const query = new URLSearchParams(target.search);
    query.delete('scope');
    let search = query.toString();
    if (scope) search = search ? `${search}&scope=${scope}` : `scope=${scope}`;
    target.search = search;
    out = target.toString();
  }
  if (provider.authorization_url_fragment !== undefined) {
    const target = new URL(out);
    const { search } = target;
    target.search = '';
    out = `${target.toString()}#${provider.authorization_url_fragment}${search}`;
  }
  for (const [from, to] of Object.entries(provider.authorization_url_replacements ?? {})) out = out.replace(from, to);
  if (provider.authorization_url_skip_empty === true) {
    const target = new URL(out);
    const query = new URLSearchParams(target.search);
    for (const [key, value] of [...query.entries()]) if (value === '') query.delete(key);
    target.search = query.toString();
    out = target.toString();
  }
  return out;
}

export function expiresAtFrom(expiresIn: number | undefined, now = Date.now()): string | undefined {
  return expiresIn === undefined ? undefined : new Date(now + expiresIn * 1000).toISOString();
}
