import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Graph echoes a subscription's `clientState` in every notification; it is the only proof a
 * notification came from Graph for that subscription. Weft generates one per subscription
 * (256 random bits) and keeps only its SHA-256, so the table never holds a usable secret.
 */
export function newClientState(): { clientState: string; hash: Buffer } {
  const clientState = randomBytes(32).toString('base64url');
  return { clientState, hash: hashClientState(clientState) };
}

export function hashClientState(clientState: string): Buffer {
  return createHash('sha256').update(clientState, 'utf8').digest();
}

/** Constant-time comparison of a received clientState with the stored hash (hashing equalises lengths). */
export function clientStateMatches(received: unknown, storedHash: Buffer | null): boolean {
  if (typeof received !== 'string' || storedHash === null || storedHash.length !== 32) return false;
  return timingSafeEqual(hashClientState(received), storedHash);
}
