import { type ConnectionRef, expiresAtOf, type ResolvedConnection } from '@weft/auth';
import type { CredentialSource } from './proxy.js';

const keyOf = (ref: ConnectionRef) => `${ref.environmentId}\u0000${ref.providerConfigKey}\u0000${ref.connectionId}`;

/** A CredentialSource that also answers from its cache without a promise. */
export interface CachedCredentials extends CredentialSource {
  /**
   * The connection when it is cached, resolved and fresh, else undefined (then call
   * getConnection): a call that finds it skips an await (bench/proxy counts ticks per call).
   */
  cached(ref: ConnectionRef): ResolvedConnection | undefined;
}

/**
 * Keeps resolved connections for a few seconds so a sync making thousands of calls does not
 * read and decrypt the connection (three queries) on every one. An entry never outlives the
 * token's refresh margin, a refresh replaces it, and a 401 still forces a refresh through the
 * source, so a token rotated by another process costs at most one retried call.
 */
export function cachedCredentials(
  source: CredentialSource,
  options: { ttlMs?: number; marginMs?: number } = {},
): CachedCredentials {
  const ttl = options.ttlMs ?? 5_000;
  const margin = options.marginMs ?? 300_000;
  const entries = new Map<
    string,
    { value: Promise<ResolvedConnection>; until: number; resolved: ResolvedConnection | undefined }
  >();

  function expiry(connection: ResolvedConnection): number {
    const expiresAt = expiresAtOf(connection.credentials);
    const cap = Date.now() + ttl;
    return expiresAt === undefined ? cap : Math.min(cap, Date.parse(expiresAt) - margin);
  }

  function remember(key: string, value: Promise<ResolvedConnection>): Promise<ResolvedConnection> {
    entries.set(key, { value, until: Date.now() + ttl, resolved: undefined });
    value.then(
      (connection) => {
        const entry = entries.get(key);
        if (entry?.value === value) {
          entry.until = expiry(connection);
          entry.resolved = connection;
        }
      },
      () => {
        if (entries.get(key)?.value === value) entries.delete(key);
      },
    );
    if (entries.size > 10_000) entries.delete(entries.keys().next().value as string);
    return value;
  }

  return {
    cached(ref) {
      const entry = entries.get(keyOf(ref));
      return entry !== undefined && entry.until > Date.now() ? entry.resolved : undefined;
    },
    getConnection(ref) {
      const key = keyOf(ref);
      const entry = entries.get(key);
      if (entry !== undefined && entry.until > Date.now()) return entry.value;
      return remember(key, source.getConnection(ref));
    },
    refreshAfterUnauthorized(ref) {
      return remember(keyOf(ref), source.refreshAfterUnauthorized(ref));
    },
  };
}
