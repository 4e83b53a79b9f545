import vm from 'node:vm';
import { isRetryable, isWeftError } from '@weft/core';
import { describe, expect, it } from 'vitest';
import {
  dispatchHostCall,
  HOST_OPERATION_NAMES,
  type HostAnswer,
  type HostArgs,
  type HostHandlers,
  type HostOperation,
  NETWORK_OPERATIONS,
} from './host-protocol.js';
import { SANDBOX_GUARDS } from './sandbox-guards.js';
import { ACTION_ERROR_SOURCE, SANDBOX_PRELUDE } from './sandbox-prelude.js';

/** A handler table that records what each handler received. */
function recordingHandlers(seen: Array<{ op: string; args: unknown }>): HostHandlers<null> {
  const handlers = {} as Record<HostOperation, (ctx: null, args: unknown) => Promise<unknown>>;
  for (const op of HOST_OPERATION_NAMES)
    handlers[op] = async (_ctx, args) => {
      seen.push({ op, args });
      return null;
    };
  return handlers as unknown as HostHandlers<null>;
}

describe('host protocol', () => {
  it('the prelude calls exactly the declared operations, through their stubs', () => {
    // The nango object's part of the prelude (the globals before it have their own `host` names).
    const nangoPart = SANDBOX_PRELUDE.slice(SANDBOX_PRELUDE.indexOf('const host = {};'));
    const used = new Set([...nangoPart.matchAll(/\bhost(?:\.(\w+)|\['([\w.]+)'\])/g)].map((m) => m[1] ?? m[2] ?? ''));
    expect([...used].sort()).toEqual([...HOST_OPERATION_NAMES].sort());
    // No string-named call bypasses the stubs.
    expect(nangoPart).not.toMatch(/\bcall\('/);
  });

  it('the guards put exactly the provider calls in the network lane', () => {
    expect(NETWORK_OPERATIONS).toEqual(['proxy', 'paginate.start', 'paginate.next']);
    expect(SANDBOX_GUARDS).toContain(JSON.stringify(NETWORK_OPERATIONS));
  });

  it('hands each handler its parsed arguments, and the records list of a write without copying it', async () => {
    const seen: Array<{ op: string; args: unknown }> = [];
    const records = [{ id: 'a' }, { id: 'b' }];
    await dispatchHostCall(recordingHandlers(seen), null, 'batchSave', ['Item', records]);
    expect(seen[0]?.op).toBe('batchSave');
    const received = (seen[0]?.args as HostArgs<'batchSave'> | undefined)?.[1];
    expect(received).toBe(records);
  });

  it('refuses an undeclared operation and names the SDK method on bad input, as a non-retryable error', async () => {
    const handlers = recordingHandlers([]);
    await expect(dispatchHostCall(handlers, null, 'readFile', ['/etc/passwd'])).rejects.toMatchObject({
      code: 'WEFT_RUNNER_FORBIDDEN',
    });
    await expect(dispatchHostCall(handlers, null, 'constructor', [])).rejects.toMatchObject({
      code: 'WEFT_RUNNER_FORBIDDEN',
    });
    const cases: Array<[string, unknown[], RegExp]> = [
      ['proxy', [{}], /nango\.proxy was called with invalid arguments: endpoint: endpoint is required/],
      ['batchSave', ['Item', 'nope'], /nango\.batchSave .*argument: records must be an array of objects/],
      ['batchUpdate', ['Item', [1, 2]], /nango\.batchUpdate .*records must be an array of objects/],
      ['saveCheckpoint', ['x'], /nango\.saveCheckpoint was called with invalid arguments/],
      ['setMetadata', [[]], /nango\.setMetadata was called with invalid arguments/],
    ];
    for (const [op, args, message] of cases) {
      const error = await dispatchHostCall(handlers, null, op, args).catch((e: unknown) => e);
      expect(isWeftError(error, 'WEFT_RUNNER_INVALID_CALL')).toBe(true);
      expect((error as Error).message).toMatch(message);
      expect(isRetryable(error)).toBe(false);
    }
  });

  it('types each handler by its entry', () => {
    // Compile-time checks: a handler answering the wrong type does not fit the table.
    const answer: HostAnswer<'paginate.start'> = 'p1';
    // @ts-expect-error batchSave answers true, not a string
    const wrong: HostAnswer<'batchSave'> = 'yes';
    expect([answer, wrong]).toHaveLength(2);
  });
});

describe('ActionError in the sandbox', () => {
  it('is the SDK class, evaluated without any Node or transpiler helper', () => {
    const context = vm.createContext({});
    const built = vm.runInContext(
      `const E = ${ACTION_ERROR_SOURCE}; const e = new E({ message: 'nope', kind: 'x' }); ({ name: e.name, message: e.message, type: e.type, payload: e.payload, isError: e instanceof Error })`,
      context,
    );
    expect(JSON.parse(JSON.stringify(built))).toEqual({
      name: 'ActionError',
      message: 'nope',
      type: 'action_script_runtime_error',
      payload: { message: 'nope', kind: 'x' },
      isError: true,
    });
    expect(SANDBOX_PRELUDE).not.toMatch(
      /class ActionError extends Error \{\s*constructor\(payload\) \{\s*super\(payload &&/,
    );
  });
});
