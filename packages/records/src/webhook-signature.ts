import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'weft-signature';
export const NANGO_SIGNATURE_HEADER = 'x-nango-hmac-sha256';
/** Nango's older signature, for receivers still on `verifyWebhookSignature` (deprecated by Nango). */
export const NANGO_LEGACY_SIGNATURE_HEADER = 'x-nango-signature';

const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('hex');

/**
 * Headers that sign one delivery of `body`. `secrets[0]` is the current secret; during a
 * rotation's grace period the previous one is also listed, so receivers that still hold the
 * old secret keep verifying (one `v1=` per secret, like Stripe).
 */
export function signWebhook(body: string, secrets: readonly string[], nowSeconds: number): Record<string, string> {
  const current = secrets[0];
  if (current === undefined) throw new Error('signWebhook needs at least one secret');
  const t = Math.floor(nowSeconds);
  const v1 = secrets.map((secret) => `v1=${hmac(secret, `${t}.${body}`)}`).join(',');
  return {
    'Weft-Signature': `t=${t},${v1}`,
    'X-Nango-Hmac-Sha256': hmac(current, body),
    // sha256(secret + body): what `verifyWebhookSignature` recomputes from the parsed body, which
    // equals `body` because Weft's bodies are JSON.stringify output.
    'X-Nango-Signature': createHash('sha256').update(`${current}${body}`).digest('hex'),
  };
}

export interface VerifyWebhookOptions {
  /** Oldest accepted timestamp, in seconds before now (replay protection). @default 300 */
  toleranceSeconds?: number;
  /** Clock, for tests. @default Date.now()/1000 */
  nowSeconds?: number;
}

function headerValue(
  headers: Record<string, string | string[] | undefined> | Headers,
  name: string,
): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/**
 * For webhook receivers: true when `rawBody` (the exact bytes received, before JSON parsing)
 * carries a valid `Weft-Signature` for `secret` with a timestamp within the tolerance. A tampered
 * body, another secret, a stale or future timestamp, or a missing header all give false.
 */
export function verifyWebhook(
  rawBody: string | Buffer,
  headers: Record<string, string | string[] | undefined> | Headers,
  secret: string,
  options: VerifyWebhookOptions = {},
): boolean {
  const header = headerValue(headers, SIGNATURE_HEADER);
  if (header === undefined) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d+$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value !== undefined) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  const now = options.nowSeconds ?? Date.now() / 1000;
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance) return false;
  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = hmac(secret, `${timestamp}.${body}`);
  return candidates.some((candidate) => safeEqualHex(candidate, expected));
}
