import { outboundDispatcher, outboundRefusalOf } from '@weft/core';
import { request } from 'undici';
import { interpolate, type TemplateValues } from '../interpolate.js';
import { ModeAuthError } from './auth-mode.js';

/**
 * Template every string inside a value (Nango's nested `token_params`, JWT claims, step headers).
 * A string whose placeholders do not resolve is dropped, the way Nango omits optional fields the
 * end user left empty (e.g. Tableau's `contentUrl`, Google's delegated user).
 */
export function interpolateDeep(value: unknown, values: TemplateValues): unknown {
  if (typeof value === 'string') return interpolate(value, values);
  if (Array.isArray(value))
    return value.map((item) => interpolateDeep(item, values)).filter((item) => item !== undefined);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const filled = interpolateDeep(item, values);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  return value;
}

/** `a.b.c` inside a parsed response (Nango's `token_response.token: credentials.token`). */
export function valueAt(data: unknown, path: string): unknown {
  let current = data;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Seconds from a JWT's `exp` claim as an ISO date, when the token is a JWT (read only, never trusted for auth). */
export function jwtExpiry(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `3600`, `"3600"` (seconds) or `"1h"`, `"30m"` → milliseconds. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (UNIT_MS[(match[2] ?? 's').toLowerCase()] ?? 1000);
}

/** An absolute expiry: ISO/RFC date string, epoch seconds or epoch milliseconds. */
export function absoluteExpiry(value: unknown): string | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const n = Number(value);
    return new Date(n > 1e12 ? n : n * 1000).toISOString();
  }
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? new Date(parsed).toISOString() : undefined;
  }
  return undefined;
}

export interface ModeHttpResponse {
  status: number;
  data: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One request to a provider's token/login endpoint. Non-2xx answers throw `ModeAuthError`
 * (4xx permanent, 5xx/429/network transient) with the provider's error text, never the request body.
 */
export async function callModeEndpoint(options: {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}): Promise<ModeHttpResponse> {
  let status = 0;
  let text = '';
  let headers: ModeHttpResponse['headers'] = {};
  try {
    const response = await request(options.url, {
      dispatcher: outboundDispatcher(),
      method: options.method ?? 'POST',
      headers: { accept: 'application/json', ...(options.headers ?? {}) },
      ...(options.method === 'GET' || options.body === undefined ? {} : { body: options.body }),
      headersTimeout: options.timeoutMs ?? 15_000,
      bodyTimeout: options.timeoutMs ?? 15_000,
    });
    status = response.statusCode;
    headers = response.headers;
    text = await response.body.text();
  } catch (error) {
    // A destination the outbound policy refuses keeps its stable code (WEFT_OUTBOUND_BLOCKED_ADDRESS).
    const refusal = outboundRefusalOf(error);
    throw new ModeAuthError(0, refusal?.code ?? 'network_error', (refusal ?? (error as Error)).message, null);
  }
  let data: unknown = text;
  try {
    data = text === '' ? {} : JSON.parse(text);
  } catch {
    if (/^[\w.%-]+=/.test(text)) data = Object.fromEntries(new URLSearchParams(text));
  }
  if (status < 200 || status >= 300) {
    const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    const error = typeof body.error === 'string' ? body.error : `http_${status}`;
    const description =
      typeof body.error_description === 'string'
        ? body.error_description
        : typeof body.message === 'string'
          ? body.message
          : typeof data === 'string'
            ? data.slice(0, 300)
            : '';
    throw new ModeAuthError(status, error, description, data);
  }
  return { status, data, headers };
}

/** Encode a token request body the way the provider declares (`body_format`, default JSON as in Nango). */
export function encodeBody(params: unknown, format: string | undefined): { body: string; contentType: string } {
  if (format === 'form') {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
      form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    }
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: JSON.stringify(params ?? {}), contentType: 'application/json' };
}
