import { z } from 'zod';

/** Health of connections and integrations (Weft-only). */

export const connectionStatusParams = z.object({ connectionId: z.string().min(1) });
export const connectionStatusQuery = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
});
export const integrationStatusParams = z.object({ key: z.string().min(1) });

const syncHealth = z.object({
  sync_name: z.string(),
  state: z.string(),
  next_run_at: z.string().nullable(),
  last_run: z
    .object({
      status: z.string(),
      started_at: z.string().nullable(),
      ended_at: z.string().nullable(),
      error: z.unknown(),
    })
    .nullable(),
  runs_24h: z.number().int(),
  failures_24h: z.number().int(),
});

export const connectionHealth = z
  .object({
    connection_id: z.string(),
    provider_config_key: z.string(),
    health: z.enum(['ok', 'failing', 'needs_reauth']),
    auth: z.object({
      state: z.string(),
      last_refresh_at: z.string().nullable(),
      last_refresh_error: z.string().nullable(),
    }),
    error_rate_24h: z.number(),
    syncs: z.array(syncHealth),
  })
  .meta({ id: 'ConnectionHealth' });

export const integrationStatus = z.object({
  unique_key: z.string(),
  provider: z.string(),
  warnings: z.array(z.string()),
  client_secret_expires_at: z.string().nullable(),
  connections: z.object({
    total: z.number().int(),
    ok: z.number().int(),
    failing: z.number().int(),
    needs_reauth: z.number().int(),
  }),
  items: z.array(connectionHealth),
});
