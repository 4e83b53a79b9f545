/**
 * Token buckets per key (environment + integration) for the public inbound-webhook route: a
 * provider (or anyone who learned the URL) cannot flood the inbox. In process memory on purpose:
 * it guards this process's intake; buckets idle for a minute are dropped so keys cannot pile up.
 */
export class WebhookRateLimit {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perSecond: number;
  readonly #burst: number;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
    this.#burst = perSecond * 2;
  }

  /** Take one token for `key`; false when the key is over its rate. */
  take(key: string, now = performance.now()): boolean {
    if (this.#buckets.size > 10_000) this.#prune(now);
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) if (now - bucket.at > 60_000) this.#buckets.delete(key);
  }
}
