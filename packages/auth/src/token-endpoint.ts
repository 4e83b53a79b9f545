import { outboundDispatcher, outboundRefusalOf } from '@weft/core';
import { request } from 'undici';
import { signClientAssertion } from './client-assertion.js';
import { authErrors } from './errors.js';

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  token_type?: string;
  [key: string]: unknown;
}

/** A token endpoint answer that is not a token. `permanent` = retrying cannot help (invalid_grant & co). */
export class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly body: unknown,
  ) {
    super(`${error}${description ? `: ${description}` : ''}`);
  }
  get permanent(): boolean {
    return this.error === 'invalid_grant' || this.error === 'invalid_client' || this.error === 'unauthorized_client';
  }
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/**
 * POST to a token endpoint (RFC 6749 §4.1.3/§6/§4.4). Client credentials go in the body by
 * default (Microsoft, most providers) or as HTTP Basic when `clientAuth: 'basic'`.
 */
export async function callTokenEndpoint(options: {
  url: string;
  params: Record<string, string>;
  clientId?: string;
  clientSecret?: string;
  clientAuth?: 'body' | 'basic' | 'basic+body' | 'custom' | 'private_key_jwt';
  bodyFormat?: 'form' | 'json' | 'query';
  timeoutMs?: number;
  /** Where the access token is when not at `access_token` (Nango's alternate_access_token_response_path). */
  alternateAccessTokenPath?: string;
  /** `milliseconds` when the provider's expires_in is in ms (Nango's expires_in_unit). */
  expiresInUnit?: 'milliseconds';
}): Promise<TokenResponse> {
  const params: Record<string, string> = { ...options.params };
  const headers: Record<string, string> = { accept: 'application/json' };
  const clientAuth = options.clientAuth ?? 'body';
  if ((clientAuth === 'basic' || clientAuth === 'basic+body') && options.clientId !== undefined) {
    const basic = Buffer.from(
      clientAuth === 'basic'
        ? `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret ?? '')}`
        : // Nango's token_request_auth_method: basic encodes the raw values.
          `${options.clientId}:${options.clientSecret ?? ''}`,
    ).toString('base64');
    headers.authorization = `Basic ${basic}`;
  }
  if (clientAuth === 'private_key_jwt') {
    if (options.clientId !== undefined) params.client_id = options.clientId;
    params.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    try {
      params.client_assertion = await signClientAssertion(
        options.clientId ?? '',
        options.clientSecret ?? '',
        options.url.split('?')[0] as string,
      );
    } catch (error) {
      throw new TokenEndpointError(0, 'invalid_client', (error as Error).message, null);
    }
  } else if (clientAuth === 'custom') {
    if (options.clientId !== undefined) params.username = options.clientId;
    if (options.clientSecret !== undefined) params.password = options.clientSecret;
  } else if (clientAuth !== 'basic') {
    if (options.clientId !== undefined) params.client_id = options.clientId;
    if (options.clientSecret !== undefined) params.client_secret = options.clientSecret;
  }
  let body: string | undefined;
  let url = options.url;
  if (options.bodyFormat === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(params);
  } else if (options.bodyFormat === 'query') {
    const target = new URL(options.url);
    for (const [key, value] of Object.entries(params)) target.searchParams.append(key, value);
    url = target.toString();
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(params).toString();
  }
  let status = 0;
  let text = '';
  try {
    const response = await request(url, {
      dispatcher: outboundDispatcher(),
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body }),
      headersTimeout: options.timeoutMs ?? 15_000,
      bodyTimeout: options.timeoutMs ?? 15_000,
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    // A destination the outbound policy refuses keeps its stable code (WEFT_OUTBOUND_BLOCKED_ADDRESS).
    const refusal = outboundRefusalOf(error);
    throw new TokenEndpointError(0, refusal?.code ?? 'network_error', (refusal ?? (error as Error)).message, null);
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // GitHub answers form-encoded unless asked otherwise; accept both.
    if (text.includes('=')) parsed = Object.fromEntries(new URLSearchParams(text));
  }
  const data = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const accessToken =
    typeof data.access_token === 'string'
      ? data.access_token
      : options.alternateAccessTokenPath === undefined
        ? undefined
        : valueAtPath(data, options.alternateAccessTokenPath);
  if (status >= 200 && status < 300 && typeof accessToken === 'string' && data.error === undefined) {
    const raw = data.expires_in === undefined ? undefined : Number(data.expires_in);
    const expiresIn = raw !== undefined && options.expiresInUnit === 'milliseconds' ? raw / 1000 : raw;
    return {
      ...data,
      access_token: accessToken,
      ...(expiresIn !== undefined && Number.isFinite(expiresIn) ? { expires_in: expiresIn } : {}),
    };
  }
  throw new TokenEndpointError(
    status,
    typeof data.error === 'string' ? data.error : `http_${status}`,
    typeof data.error_description === 'string' ? data.error_description : text.slice(0, 300),
    parsed,
  );
}

/** The value at a dotted path (`a.b.0.c`) of a JSON value, or undefined. */
export function valueAtPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** The API error for a failed code exchange (never includes secrets: only the provider's error fields). */
export function exchangeError(provider: string, error: unknown) {
  if (error instanceof TokenEndpointError) {
    return authErrors.create(
      'WEFT_AUTH_TOKEN_EXCHANGE_FAILED',
      { provider, status: error.status, reason: error.message },
      { provider_error: error.error, provider_error_description: error.description },
    );
  }
  return authErrors.create('WEFT_AUTH_TOKEN_EXCHANGE_FAILED', { provider, status: 0, reason: String(error) });
}
