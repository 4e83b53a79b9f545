import { outboundDispatcher } from '@weft/core';
import { request } from 'undici';
import { authRequestParts } from './auth-headers.js';
import { signRequest } from './auth-modes/registry.js';
import type { Credentials } from './credentials.js';
import { authErrors } from './errors.js';
import { interpolate } from './interpolate.js';
import type { ProviderDefinition } from './provider-schema.js';

/** HTTP status of the provider's `verification` request with these credentials; undefined when none is declared. */
export async function verificationStatus(
  provider: ProviderDefinition,
  credentials: Credentials,
  connectionConfig: Record<string, unknown>,
  client?: { id: string; secret: string },
): Promise<number | undefined> {
  const verification = provider.proxy?.verification ?? provider.verification;
  const endpoint = verification?.endpoints?.[0] ?? verification?.endpoint;
  if (verification === undefined || endpoint === undefined) return undefined;
  const base =
    interpolate(verification.base_url_override ?? provider.proxy?.base_url ?? '', { connectionConfig }) ?? '';
  const { headers, query } = authRequestParts(provider, credentials, connectionConfig);
  const url = new URL(`${base.replace(/\/$/, '')}${endpoint.startsWith('/') ? endpoint : `/${endpoint}`}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const method = (verification.method ?? 'GET').toUpperCase();
  const sent: Record<string, string> = { ...headers, ...(verification.headers ?? {}) };
  // OAuth 1.0a, TBA, SigV4 sign the request itself.
  Object.assign(
    sent,
    await signRequest({ credentials, connectionConfig, client }, { method, url, body: undefined, headers: sent }),
  );
  let status = 0;
  try {
    const response = await request(url, { dispatcher: outboundDispatcher(), method: method as 'GET', headers: sent });
    status = response.statusCode;
    await response.body.dump();
  } catch {
    status = 0;
  }
  return status;
}

/** Refuse credentials the provider's verification request does not accept (WEFT_AUTH_VERIFICATION_FAILED). */
export async function verifyCredentials(
  provider: ProviderDefinition,
  providerName: string,
  credentials: Credentials,
  connectionConfig: Record<string, unknown>,
  client?: { id: string; secret: string },
): Promise<void> {
  const status = await verificationStatus(provider, credentials, connectionConfig, client);
  if (status !== undefined && (status < 200 || status >= 300))
    throw authErrors.create('WEFT_AUTH_VERIFICATION_FAILED', { provider: providerName, status });
}
