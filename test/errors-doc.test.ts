import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { renderErrorsDoc } from '../scripts/error-catalog-doc.js';

describe('docs/errors.md', () => {
  it('lists exactly the error codes the packages declare (run `npm run docs:errors` to update)', async () => {
    const onDisk = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const expected = await renderErrorsDoc();
    const codesIn = (text: string) => [...text.matchAll(/`(WEFT_[A-Z0-9_]+)`/g)].map((m) => m[1]).sort();
    expect(codesIn(onDisk)).toEqual(codesIn(expected));
    expect(onDisk).toBe(expected);
  });
});
