import { coreErrors } from '@weft/core';
import type { z } from 'zod';

/**
 * Validate one part of a request (`body`, `query`, `headers`, `params`) and return the typed
 * value, or throw WEFT_API_INVALID_REQUEST listing every issue with its path.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: [part, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw coreErrors.create(
    'WEFT_API_INVALID_REQUEST',
    { problems: issues.map((i) => `${i.path}: ${i.message}`).join('; ') },
    { issues },
  );
}
