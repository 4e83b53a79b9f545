import { describe, expect, it } from 'vitest';
import { defineErrors, registeredErrorCatalogs } from './errors-catalog.js';
import { isWeftError } from './weft-error.js';

describe('defineErrors', () => {
  const catalog = defineErrors('catalogtest', {
    WEFT_CATALOGTEST_THING_MISSING: { status: 404, message: 'No thing {name} in {place}', fix: 'Create it first.' },
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
    expect(() => defineErrors('bad', { lowercase: { status: 400, message: '', fix: '' } })).toThrow(
      /WEFT_<AREA>_<WHAT>/,
    );
    expect(() =>
      defineErrors('other', { WEFT_CATALOGTEST_THING_MISSING: { status: 400, message: '', fix: '' } }),
    ).toThrow(/declared by both catalogtest and other/);
  });

  it('registers catalogs for the docs generator', () => {
    expect(registeredErrorCatalogs().map((c) => c.area)).toContain('catalogtest');
  });
});
