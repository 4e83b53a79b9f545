import { describe, expect, it } from 'vitest';
import { defineErrors, errorSpecOf, isRetryable, registeredErrorCatalogs } from './errors-catalog.js';
import { isWeftError, WeftError, wrapWeftError } from './weft-error.js';

describe('defineErrors', () => {
  const catalog = defineErrors('catalogtest', {
    WEFT_CATALOGTEST_THING_MISSING: {
      status: 404,
      retryable: false,
      message: 'No thing {name} in {place}',
      fix: 'Create it first.',
    },
    WEFT_CATALOGTEST_BUSY: { status: 503, retryable: true, message: 'Busy', fix: 'Try again.' },
  });

  it('fills the message template and carries status and details', () => {
    const error = catalog.create('WEFT_CATALOGTEST_THING_MISSING', { name: 'x', place: 'y' }, { hint: 1 });
    expect(error.message).toBe('No thing x in y');
    expect(error.status).toBe(404);
    expect(error.toJSON()).toEqual({
      code: 'WEFT_CATALOGTEST_THING_MISSING',
      message: 'No thing x in y',
      details: { hint: 1 },
    });
    expect(isWeftError(error, 'WEFT_CATALOGTEST_THING_MISSING')).toBe(true);
    // Errors rebuilt from plain data (e.g. across the sandbox boundary) still match by code.
    expect(isWeftError({ ...error.toJSON(), status: 404 }, 'WEFT_CATALOGTEST_THING_MISSING')).toBe(true);
  });

  it('refuses badly named codes and a code claimed by two areas', () => {
    expect(() => defineErrors('bad', { lowercase: { status: 400, retryable: false, message: '', fix: '' } })).toThrow(
      /WEFT_<AREA>_<WHAT>/,
    );
    expect(() =>
      defineErrors('other', {
        WEFT_CATALOGTEST_THING_MISSING: { status: 400, retryable: false, message: '', fix: '' },
      }),
    ).toThrow(/declared by both catalogtest and other/);
  });

  it('registers catalogs for the docs generator', () => {
    expect(registeredErrorCatalogs().map((c) => c.area)).toContain('catalogtest');
  });

  it('answers whether a code is retryable from the catalogue that declared it', () => {
    expect(errorSpecOf('WEFT_CATALOGTEST_BUSY')?.status).toBe(503);
    expect(isRetryable(catalog.create('WEFT_CATALOGTEST_THING_MISSING'))).toBe(false);
    expect(isRetryable('WEFT_CATALOGTEST_BUSY')).toBe(true);
    // Only a known cause stops retries: a plain error or an unknown code is retried.
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
    expect(isRetryable({ code: 'WEFT_NOBODY_DECLARES_THIS' })).toBe(true);
  });

  it('wraps an error with its code, status and cause kept', () => {
    const original = catalog.create('WEFT_CATALOGTEST_THING_MISSING', { name: 'x', place: 'y' });
    const wrapped = wrapWeftError(original, 'script s failed: No thing x in y', { stack: 'at s.ts:1' });
    expect(wrapped).toBeInstanceOf(WeftError);
    expect(wrapped).toMatchObject({ code: 'WEFT_CATALOGTEST_THING_MISSING', status: 404, cause: original });
    expect(wrapped.details).toEqual({ stack: 'at s.ts:1' });
  });
});
