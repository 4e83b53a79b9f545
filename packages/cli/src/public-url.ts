import type { WeftConfig } from '@weft/core';

/**
 * The URL the outside world reaches this Weft at (OAuth callbacks, webhook and dashboard links),
 * without a trailing slash: WEFT_PUBLIC_URL, else localhost on PORT. `weft start` and `weft worker`
 * must agree on it, or links a worker builds would point elsewhere than the API's.
 */
export function publicUrlOf(config: WeftConfig): string {
  return (config.WEFT_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
}
