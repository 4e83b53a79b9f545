import { z } from 'zod';

/** The operation log, health, environment, metrics and the pages. */

export const iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' });

export const logsQuery = z.object({
  connection_id: z.string().min(1).optional(),
  integration: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  state: z.enum(['success', 'failed', 'running', 'queued', 'interrupted', 'cancelled', 'pending']).optional(),
  since: iso.optional(),
  until: iso.optional(),
  type: z
    .string()
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(
      z.array(
        z.enum(['sync', 'action', 'on-event', 'proxy', 'webhook', 'auth'], {
          error: 'types are sync, action, on-event, proxy, webhook, auth',
        }),
      ),
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const logsResponse = z.object({
  operations: z.array(
    z.looseObject({
      type: z.string(),
      id: z.string(),
      name: z.string().nullable(),
      state: z.string().nullable(),
      at: z.string().nullable(),
    }),
  ),
});

export const healthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  db: z.object({ ok: z.boolean(), migration: z.unknown() }),
});

export const environmentResponse = z.object({
  environment: z.object({ id: z.number().int(), name: z.string(), created_at: z.string() }),
});

/** Prometheus text exposition. */
export const metricsResponse = z.string();
/** An HTML page (connect page, OAuth result, dashboard). */
export const htmlPage = z.string();
