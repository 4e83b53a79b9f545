import { runnerErrors } from '@weft/runner';
import { describe, expect, it } from 'vitest';
import { failedRunResult } from './failed-run-result.js';

describe('failedRunResult', () => {
  it('keeps the code of a Weft error and takes retryable from its catalogue entry', () => {
    const missing = failedRunResult(
      runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', { kind: 'sync', name: 'x', providerConfigKey: 'p' }),
    );
    expect(missing).toMatchObject({ status: 'failed', counts: {}, logs: [], durationMs: 0 });
    expect(missing.error).toMatchObject({ code: 'WEFT_RUNNER_SCRIPT_NOT_FOUND', retryable: false });
  });

  it('reports an error without a Weft code as a retryable internal failure with its message', () => {
    const result = failedRunResult(new Error('connection terminated'));
    expect(result.error).toEqual({ code: 'WEFT_CORE_INTERNAL', message: 'connection terminated', retryable: true });
  });
});
