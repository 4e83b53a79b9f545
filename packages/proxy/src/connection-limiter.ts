/** Limits per key (a connection, a provider): concurrent requests, request rate, and a shared pause after a 429. */
export interface LimitSettings {
  /** Concurrent in-flight requests. @default 10 */
  concurrency?: number;
  /** Sustained requests per second (token bucket); unset = no rate cap. */
  requestsPerSecond?: number;
  /** Bucket size for bursts. @default requestsPerSecond */
  burst?: number;
}

interface State {
  active: number;
  queue: Array<() => void>;
  tokens: number;
  refilledAt: number;
  pausedUntil: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Client-side throttling so a sync does not trigger the provider's: a concurrency cap, an
 * optional token bucket, and — when the provider answers 429 — one pause that every request of
 * the same key honours, instead of each retrying into the limit on its own. State is in
 * memory per process (cheap, ~100 bytes per active key) and idle keys are dropped.
 */
export class ConnectionLimiter {
  private readonly states = new Map<string, State>();

  constructor(private readonly settings: (key: string) => LimitSettings = () => ({})) {}

  private state(key: string, limits: LimitSettings): State {
    let state = this.states.get(key);
    if (state === undefined) {
      state = {
        active: 0,
        queue: [],
        tokens: limits.burst ?? limits.requestsPerSecond ?? 0,
        refilledAt: Date.now(),
        pausedUntil: 0,
      };
      this.states.set(key, state);
    }
    return state;
  }

  /** Pause every request of `key` until `until` (epoch ms), e.g. from Retry-After. */
  pause(key: string, until: number): void {
    const state = this.state(key, this.settings(key));
    state.pausedUntil = Math.max(state.pausedUntil, until);
  }

  /**
   * Take a slot for `key`: `undefined` when one is free at once (the common call: no promise, no
   * tick — bench/proxy's profile showed the async wrapper per call), else a promise that settles
   * once the slot is held. Every acquire, settled or not rejected, is paired with one `release`.
   */
  acquire(key: string, signal?: AbortSignal): Promise<void> | undefined {
    const limits = this.settings(key);
    const state = this.state(key, limits);
    const limited = limits.requestsPerSecond !== undefined && limits.requestsPerSecond > 0;
    // pausedUntil is 0 unless a 429 ever paused the key: no clock read per call then.
    if (
      state.active < (limits.concurrency ?? 10) &&
      !limited &&
      (state.pausedUntil === 0 || state.pausedUntil <= Date.now())
    ) {
      state.active += 1;
      return undefined;
    }
    return this.acquireSlowly(key, state, limits, signal);
  }

  private async acquireSlowly(key: string, state: State, limits: LimitSettings, signal?: AbortSignal): Promise<void> {
    if (state.active >= (limits.concurrency ?? 10)) {
      await new Promise<void>((resolve) => state.queue.push(resolve));
    }
    state.active += 1;
    try {
      if (state.pausedUntil > 0) await sleep(state.pausedUntil - Date.now(), signal);
      if (limits.requestsPerSecond !== undefined && limits.requestsPerSecond > 0) {
        const rate = limits.requestsPerSecond;
        const capacity = limits.burst ?? rate;
        for (;;) {
          const now = Date.now();
          state.tokens = Math.min(capacity, state.tokens + ((now - state.refilledAt) / 1000) * rate);
          state.refilledAt = now;
          if (state.tokens >= 1) {
            state.tokens -= 1;
            break;
          }
          await sleep(Math.ceil(((1 - state.tokens) / rate) * 1000), signal);
        }
      }
    } catch (error) {
      // Aborted while waiting: the slot goes back, and the caller does not release it again.
      this.release(key);
      throw error;
    }
  }

  /** Give back the slot an `acquire` took. */
  release(key: string): void {
    const state = this.states.get(key);
    if (state === undefined) return;
    state.active -= 1;
    const next = state.queue.shift();
    if (next) next();
    else if (state.active === 0 && (state.pausedUntil === 0 || state.pausedUntil < Date.now())) this.states.delete(key);
  }

  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const waiting = this.acquire(key, signal);
    if (waiting !== undefined) await waiting;
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }
}

export { sleep };
