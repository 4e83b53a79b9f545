import { z } from 'zod';

/** `{ error: { code, message, details? } }`: every failure of every route. */
export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().regex(/^WEFT_[A-Z0-9_]+$/),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Query-string booleans as clients send them (`true`/`false`, also `1`/`0`). */
export const queryBoolean = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** Timestamps leave the API as ISO 8601 text. */
export const timestamp = z.string();

export const successResponse = z.object({ success: z.boolean() });

/** Parse a response through its contract: unknown keys (raw row columns) are dropped. */
export function serialize<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  return schema.parse(value);
}
