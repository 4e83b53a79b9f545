import { isRetryable, WeftError } from '@weft/core';
import { describe, expect, it } from 'vitest';
import { runnerErrors } from './errors.js';
import { runInSandbox } from './sandbox.js';

/** A sync bundle whose exec runs `body` with `nango` in scope. */
const bundle = (body: string) => `globalThis.__weft = { module: { default: { exec: async (nango) => { ${body} } } } };`;

const run = (body: string, host: (op: string, args: unknown[]) => Promise<unknown>) =>
  runInSandbox({
    name: 'errors-sync',
    kind: 'sync',
    bundle: bundle(body),
    env: { connectionId: 'c', providerConfigKey: 'p', lastSyncDate: null },
    host,
    limits: { wallMs: 30_000 },
  }).then(
    () => {
      throw new Error('the run should have failed');
    },
    (error: unknown) => error as WeftError,
  );

describe('errors crossing the sandbox', () => {
  it('a host error the script lets escape surfaces as itself: same code and status, the original as cause', async () => {
    const original = runnerErrors.create('WEFT_RUNNER_FORBIDDEN', { operation: 'nango.getMetadata', reason: 'test' });
    const error = await run('await nango.getMetadata();', async () => {
      throw original;
    });
    expect(error).toBeInstanceOf(WeftError);
    expect(error).toMatchObject({ code: 'WEFT_RUNNER_FORBIDDEN', status: 403 });
    expect(error.message).toBe('errors-sync failed: nango.getMetadata is not allowed from a script: test');
    expect(error.cause).toBe(original);
    expect(isRetryable(error)).toBe(false);
  });

  it('a host error the script caught and rethrew later still surfaces as itself', async () => {
    const original = runnerErrors.create('WEFT_RUNNER_INVALID_CALL', { operation: 'nango.proxy', reason: 'x' });
    const error = await run(
      'let kept; try { await nango.getMetadata(); } catch (e) { kept = e; } await nango.getCheckpoint(); throw kept;',
      async (op) => {
        if (op === 'getMetadata') throw original;
        return null;
      },
    );
    expect(error).toMatchObject({ code: 'WEFT_RUNNER_INVALID_CALL', status: 400, cause: original });
  });

  it("a script's own error is the script's failure, retryable", async () => {
    const error = await run("throw new Error('upstream changed');", async () => null);
    expect(error).toMatchObject({ code: 'WEFT_RUNNER_SCRIPT_FAILED', message: 'errors-sync failed: upstream changed' });
    expect(isRetryable(error)).toBe(true);
  });
});
