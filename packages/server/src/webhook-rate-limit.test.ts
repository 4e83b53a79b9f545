import { describe, expect, it } from 'vitest';
import { WebhookRateLimit } from './webhook-rate-limit.js';

describe('inbound webhook rate limit', () => {
  it('allows a burst of twice the rate, then the rate, per key (clock given, so no timing)', () => {
    const limit = new WebhookRateLimit(5);
    const at = 1_000;
    const taken = Array.from({ length: 12 }, () => limit.take('env:hooks', at));
    expect(taken.filter(Boolean)).toHaveLength(10);
    expect(limit.take('env:other', at)).toBe(true);
    expect(limit.take('env:hooks', at + 199)).toBe(false);
    expect(limit.take('env:hooks', at + 200)).toBe(true);
    expect(limit.take('env:hooks', at + 10_000)).toBe(true);
  });
});
