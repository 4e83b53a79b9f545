import { z } from 'zod';

/** The environment's script variables (`nango.getEnvironmentVariables()` in scripts and clients). */

const environmentVariable = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, { error: 'letters, digits and _ (not first)' }),
  value: z.string().max(10_000),
});

/** `PUT /environment-variables`: the whole list, replacing the previous one. */
export const environmentVariablesBody = z
  .array(environmentVariable)
  .max(500)
  .refine((list) => new Set(list.map((v) => v.name)).size === list.length, { error: 'names must be unique' });

/** Nango's `GetPublicEnvironmentVariables` success: `{ name, value }[]`, values decrypted. */
export const environmentVariablesResponse = z.array(z.object({ name: z.string(), value: z.string() }));
