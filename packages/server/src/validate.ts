import { coreErrors } from '@weft/core';
import type { z } from 'zod';

/**
 * Validate one part of a request (`body`, `query`, `headers`, `params`) and return the typed
 * value, or throw WEFT_API_INVALID_REQUEST listing every issue with its path.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: string): z.output<S> {
  const result = schema.safeParse(part === 'headers' ? withoutEmptyHeaders(value) : value);
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

/**
 * An optional header sent empty is an absent header: Nango's client always sends
 * `Base-Url-Override: ''` and `Nango-Activity-Log-Id: ''`.
 */
function withoutEmptyHeaders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== ''));
}
