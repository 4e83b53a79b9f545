import type { Pool, PoolClient } from '@weft/db';

/** The channel migration 203's triggers notify when a key, environment, connection or model changes. */
export const LOOKUPS_CHANNEL = 'weft_api_lookups';

/**
 * Remembers what every API request looks up (a secret key's environment, a records page's
 * connection and model), so a consumer paging through records pays no lookup round trip per page.
 *
 * Safe because it forgets at once:
 * - in this process, synchronously: `invalidate()` runs before the answer to a request that
 *   deleted something is sent (see authenticate.ts), so the very next request looks up again;
 * - across processes sharing the database (API processes, `weft env rotate-key`): triggers
 *   NOTIFY `weft_api_lookups` at commit and every process drops its cache when it arrives.
 * Entries are only served while that LISTEN is up: before it is, or after the listening
 * connection failed (notifications could have been missed), every request looks up again.
 * A lookup that started before an invalidation is never stored after it. Failures are never
 * cached.
 */
export interface LookupCache {
  remember<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Forget everything now (synchronous). */
  invalidate(): void;
  /** Start listening for invalidations; entries are served only once this resolved. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Called after every invalidation that came through NOTIFY (tests synchronise on it). */
  onNotified(listener: () => void): () => void;
}

export interface LookupCacheOptions {
  /** Entries kept at most; the oldest half is dropped when full. @default 10000 */
  maxEntries?: number;
  onError?: (error: unknown) => void;
}

export function createLookupCache(pool: Pool, options: LookupCacheOptions = {}): LookupCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Promise<unknown>>();
  const notified = new Set<() => void>();
  let generation = 0;
  let live = false;
  let stopped = false;
  let listener: PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;

  function invalidate(): void {
    generation += 1;
    entries.clear();
  }

  function lost(client: PoolClient, error: unknown): void {
    if (listener !== client) return;
    live = false;
    listener = undefined;
    invalidate();
    client.release(error instanceof Error ? error : true);
    if (stopped) return;
    options.onError?.(error);
    reconnectLater();
  }

  function reconnectLater(): void {
    clearTimeout(retry);
    retry = setTimeout(() => {
      connect().catch((error: unknown) => {
        if (stopped) return;
        options.onError?.(error);
        reconnectLater();
      });
    }, 1_000);
    retry.unref();
  }

  async function connect(): Promise<void> {
    const client = await pool.connect();
    if (stopped) {
      client.release();
      return;
    }
    listener = client;
    client.on('notification', (message) => {
      if (message.channel !== LOOKUPS_CHANNEL) return;
      invalidate();
      for (const fn of notified) fn();
    });
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client, new Error('the invalidation listener connection ended')));
    try {
      await client.query(`LISTEN ${LOOKUPS_CHANNEL}`);
    } catch (error) {
      lost(client, error);
      throw error;
    }
    // Whatever changed while nobody listened is unknown: start empty.
    invalidate();
    live = !stopped;
  }

  return {
    remember<T>(key: string, load: () => Promise<T>): Promise<T> {
      if (!live) return load();
      const hit = entries.get(key);
      if (hit !== undefined) return hit as Promise<T>;
      const at = generation;
      const value = load();
      if (entries.size >= maxEntries) {
        let drop = entries.size / 2;
        for (const old of entries.keys()) {
          if (drop-- <= 0) break;
          entries.delete(old);
        }
      }
      entries.set(key, value);
      value.then(
        () => {
          // Invalidated while loading: what was loaded may predate the change.
          if (generation !== at && entries.get(key) === value) entries.delete(key);
        },
        () => {
          if (entries.get(key) === value) entries.delete(key);
        },
      );
      return value;
    },
    invalidate,
    async start() {
      stopped = false;
      // Without the listener the API still works, it just looks everything up each time.
      await connect().catch((error: unknown) => {
        options.onError?.(error);
        reconnectLater();
      });
    },
    async stop() {
      stopped = true;
      live = false;
      clearTimeout(retry);
      invalidate();
      const client = listener;
      listener = undefined;
      if (client !== undefined) {
        await client.query(`UNLISTEN ${LOOKUPS_CHANNEL}`).catch(() => {});
        client.release();
      }
    },
    onNotified(fn) {
      notified.add(fn);
      return () => notified.delete(fn);
    },
  };
}
