import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { RequestToSign } from './auth-mode.js';

/**
 * An OAuth 1.0a signer (RFC 5849) on the maintained `oauth-1.0a` library: HMAC-SHA1 (Trello,
 * Twitter, SmugMug, Garmin), HMAC-SHA256 (NetSuite TBA) or PLAINTEXT.
 */
export function oauth1Signer(consumer: { key: string; secret: string }, method = 'HMAC-SHA1', realm?: string): OAuth {
  const algorithm = method === 'HMAC-SHA256' ? 'sha256' : 'sha1';
  return new OAuth({
    consumer,
    signature_method: method,
    ...(realm === undefined ? {} : { realm }),
    hash_function: (base, key) =>
      method === 'PLAINTEXT' ? key : createHmac(algorithm, key).update(base).digest('base64'),
  });
}

/** Form-encoded bodies are part of the signature base string (RFC 5849 §3.4.1.3.1); other bodies are not. */
export function signedBodyParams(request: RequestToSign): Record<string, string> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return {};
  if (typeof request.body !== 'string' && !Buffer.isBuffer(request.body)) return {};
  return Object.fromEntries(new URLSearchParams(request.body.toString()));
}

/** The `Authorization: OAuth …` header for one request. */
export function oauth1Header(
  signer: OAuth,
  request: { method: string; url: string; data?: Record<string, string> },
  token?: { key: string; secret: string },
): string {
  return signer.toHeader(
    signer.authorize({ url: request.url, method: request.method, data: request.data ?? {} }, token),
  ).Authorization;
}
