import { isRetryable, isWeftError } from '@weft/core';
import type { SyncRunResult } from '@weft/runner';

/**
 * The result of a sync run whose runner call threw before the script produced a result of its own
 * (the script is not deployed, the database went away, …). Whether another attempt may help is
 * what the error catalogue of the package that raised the code says (as for failures inside the
 * script), so the scheduler and the webhook path do not each keep their own list of hopeless codes.
 */
export function failedRunResult(error: unknown): SyncRunResult {
  const code = isWeftError(error) ? error.code : 'WEFT_CORE_INTERNAL';
  return {
    status: 'failed',
    counts: {},
    error: { code, message: (error as Error).message, retryable: isRetryable(code) },
    logs: [],
    durationMs: 0,
  };
}
