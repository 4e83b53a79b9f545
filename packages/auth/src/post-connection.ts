import { outboundDispatcher, outboundRefusalOf } from '@weft/core';
import { request } from 'undici';
import { authRequestParts } from './auth-headers.js';
import type { Credentials } from './credentials.js';
import { interpolate } from './interpolate.js';
import { postConnectionStepsOf } from './provider-fields.js';
import type { ProviderDefinition } from './provider-schema.js';
import { valueAtPath } from './token-endpoint.js';

const isSet = (value: unknown) => value !== undefined && value !== null && value !== '';

/** The payload of a JWT, unverified (we just got it from the provider's token endpoint over TLS). */
function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  const payload = token?.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run the entry's post-connection steps (its `post_connection`, or the equivalent of the Nango
 * `post_connection_script` it names) with the new credentials and return the connection_config
 * additions. Like Nango's scripts: values the end user supplied are never overwritten, a claim or
 * field that is absent is skipped, and a failed request is reported (auth event warnings), never
 * fatal — the connection is stored either way.
 */
export async function runPostConnectionSteps(options: {
  provider: ProviderDefinition;
  credentials: Credentials;
  connectionConfig: Record<string, unknown>;
  /** The raw token response, for `derive` from fields not copied into connection_config. */
  tokenResponse?: Record<string, unknown>;
  timeoutMs?: number;
}): Promise<{ connectionConfig: Record<string, unknown>; errors: string[] }> {
  const additions: Record<string, unknown> = {};
  const errors: string[] = [];
  const config = () => ({ ...options.connectionConfig, ...additions });
  const set = (key: string, value: unknown) => {
    if (value === undefined || value === null || isSet(options.connectionConfig[key])) return;
    additions[key] = value;
  };
  for (const step of postConnectionStepsOf(options.provider)) {
    if ('claim' in step) {
      const credentials = options.credentials as { access_token?: string; token?: string };
      set(step.as, jwtClaims(credentials.access_token ?? credentials.token)?.[step.claim]);
    } else if ('derive' in step) {
      const source = config()[step.derive] ?? options.tokenResponse?.[step.derive];
      if (typeof source !== 'string') continue;
      set(step.as, new RegExp(step.pattern).exec(source)?.[1]);
    } else {
      const values = { connectionConfig: config() };
      const base = interpolate(step.request.base_url_override ?? options.provider.proxy?.base_url ?? '', values);
      if (base === undefined || base === '') {
        errors.push(`post_connection ${step.request.endpoint}: the base URL does not resolve`);
        continue;
      }
      const { headers, query } = authRequestParts(options.provider, options.credentials, config());
      const endpoint = step.request.endpoint.startsWith('/') ? step.request.endpoint : `/${step.request.endpoint}`;
      const url = new URL(`${base.replace(/\/+$/, '')}${endpoint}`);
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
      try {
        const hasBody = step.request.data !== undefined;
        const response = await request(url, {
          dispatcher: outboundDispatcher(),
          method: (step.request.method ?? 'GET').toUpperCase() as 'GET',
          headers: {
            accept: 'application/json',
            ...headers,
            ...(hasBody ? { 'content-type': 'application/json' } : {}),
            ...(step.request.headers ?? {}),
          },
          ...(hasBody ? { body: JSON.stringify(step.request.data) } : {}),
          headersTimeout: options.timeoutMs ?? 15_000,
          bodyTimeout: options.timeoutMs ?? 15_000,
        });
        const text = await response.body.text();
        if (response.statusCode < 200 || response.statusCode >= 300) {
          errors.push(`post_connection ${url.pathname}: HTTP ${response.statusCode}`);
          continue;
        }
        const body = JSON.parse(text) as unknown;
        for (const [key, path] of Object.entries(step.pick)) set(key, valueAtPath(body, path));
      } catch (error) {
        const refusal = outboundRefusalOf(error);
        errors.push(
          `post_connection ${url.pathname}: ${refusal ? `${refusal.code}: ${refusal.message}` : (error as Error).message}`,
        );
      }
    }
  }
  return { connectionConfig: additions, errors };
}

/**
 * Nango's `token_response_metadata`: the listed (dotted) fields of the token response that hold a
 * string or boolean, copied into connection_config under the same name (Salesforce's
 * `instance_url`, Slack's `team.id`).
 */
export function tokenResponseMetadata(
  provider: ProviderDefinition,
  tokenResponse: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of provider.token_response_metadata ?? []) {
    const value = key in tokenResponse ? tokenResponse[key] : valueAtPath(tokenResponse, key);
    if (typeof value === 'string' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}

/** Nango's `redirect_uri_metadata`: the listed query parameters of the OAuth callback (QuickBooks' `realmId`). */
export function redirectUriMetadata(
  provider: ProviderDefinition,
  query: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of provider.redirect_uri_metadata ?? []) {
    const value = query[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}
