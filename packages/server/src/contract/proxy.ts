import { z } from 'zod';

/** `ALL /proxy/*` (Nango's headers) and the proxy request log. */

export const proxyHeaders = z.object({
  'connection-id': z.string({ error: 'header Connection-Id is required' }).min(1),
  'provider-config-key': z.string({ error: 'header Provider-Config-Key is required' }).min(1),
  // @nangohq/node always sends the header, empty when the script set no override.
  'base-url-override': z.union([z.literal(''), z.url({ error: 'must be an absolute URL' })]).optional(),
  retries: z.coerce.number().int().min(0).max(10).optional(),
  /** Nango's `retryOn`: extra statuses to retry, comma-separated. */
  'retry-on': z
    .string()
    .regex(/^\d{3}(\s*,\s*\d{3})*$/, { error: 'a comma-separated list of HTTP statuses' })
    .transform((v) => v.split(',').map((n) => Number(n.trim())))
    .optional(),
  /** Weft always decodes compressed provider answers (Nango's `decompress: true`). */
  decompress: z.enum(['true', 'false']).optional(),
});

export const logQuery = z.object({
  /** The external connection id (as everywhere in the API); an all-digit value that names no connection is read as the internal row id, the form this route took before. */
  connection_id: z.string().min(1).optional(),
  run_id: z.string().optional(),
  provider_config_key: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().optional(),
});

/** The provider's answer, passed through (status, headers and body are the provider's). */
export const proxyResponse = z.unknown();

export const proxyLogResponse = z.object({
  requests: z.array(z.looseObject({ id: z.union([z.number(), z.string()]), method: z.string() })),
});
