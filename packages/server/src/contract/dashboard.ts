import { z } from 'zod';
import { iso } from './operations.js';

/** The dashboard: its page, static modules and the `/dashboard/api/*` reads it draws from. */

/** `/dashboard/:file`, `/dashboard/vendor/:file`: a name from a fixed map, never a path. */
export const dashboardFileParams = z.object({ file: z.string() });

/** The dashboard's own modules and styles, and uPlot's. */
export const dashboardAsset = z.string();
export const dashboardAssetTypes = ['text/javascript', 'text/css'] as const;

export const overviewQuery = z.object({
  range: z.enum(['1h', '24h', '7d'], { error: 'range is 1h, 24h or 7d' }).default('24h'),
  integration: z.string().min(1).optional(),
});

const count = z.number().int().nonnegative();

const runBucket = z.object({
  success: count,
  failed: count,
  /** cancelled or interrupted */
  cancelled: count,
  /** queued or running now */
  active: count,
  /** Median run duration (start → end) within ±5 %; null when no run of the bucket has ended. */
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
const proxyBucket = z.object({ calls: count, errors: count, throttled: count });
const webhookBucket = z.object({ delivered: count, failed: count, pending: count });

/** `GET /dashboard/api/overview`: every series has exactly one entry per bucket, oldest first. */
export const overviewResponse = z.object({
  range: z.enum(['1h', '24h', '7d']),
  integration: z.string().nullable(),
  since: z.string(),
  bucket_seconds: z.number().int(),
  /** Bucket starts, epoch seconds (the charts' x axis). */
  buckets: z.array(z.number()),
  runs: z.object({ buckets: z.array(runBucket), total: runBucket }),
  /** Records added/updated/deleted per model by the window's runs. */
  records: z.array(z.object({ model: z.string(), added: count, updated: count, deleted: count })),
  proxy: z.object({ buckets: z.array(proxyBucket), total: proxyBucket }),
  webhooks: z.object({ buckets: z.array(webhookBucket), total: webhookBucket }),
  connections: z.object({ total: count, ok: count, refreshFailing: count, needsReauth: count }),
});

export const dashboardLogsQuery = z.object({
  connection_id: z.string().min(1).optional(),
  integration: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  state: z.enum(['success', 'failed', 'running', 'queued', 'interrupted', 'cancelled', 'pending']).optional(),
  type: z
    .string()
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(
      z.array(
        z.enum(['sync', 'action', 'proxy', 'webhook', 'auth'], {
          error: 'types are sync, action, proxy, webhook, auth',
        }),
      ),
    )
    .optional(),
  since: iso.optional(),
  q: z.string().min(1).max(200).optional(),
  /** Keyset cursor: the `at` and `id` of the last row of the previous page (both or neither). */
  before_at: iso.optional(),
  before_id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** One operation of the log (the same rows as `GET /logs`). */
const dashboardOperation = z.looseObject({
  type: z.string(),
  id: z.string(),
  provider_config_key: z.string().nullable(),
  connection_id: z.string().nullable(),
  name: z.string().nullable(),
  state: z.string().nullable(),
  at: z.string().nullable(),
  ended_at: z.string().nullable(),
  message: z.string().nullable(),
  /** The run's nango.log/console lines (empty for proxy calls, webhooks and auth events). */
  messages: z.array(z.unknown()),
});

/** `GET /dashboard/api/logs`: newest first; `has_more` says whether an older page exists. */
export const dashboardLogsResponse = z.object({ operations: z.array(dashboardOperation), has_more: z.boolean() });

export const dashboardConnectionQuery = z.object({
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1),
});

/** `GET /dashboard/api/connection`: what the connection page shows, never the credentials. */
export const dashboardConnectionResponse = z.object({
  connection_id: z.string(),
  provider_config_key: z.string(),
  auth_state: z.enum(['ok', 'needs_reauth']),
  end_user: z.record(z.string(), z.unknown()).nullable(),
  metadata: z.record(z.string(), z.unknown()),
  credentials_expires_at: z.string().nullable(),
  last_refresh_at: z.string().nullable(),
  last_refresh_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Records held per model (`deleted`: tombstones still kept). */
  records: z.array(
    z.object({ model: z.string(), live: count, deleted: count, last_modified_at: z.string().nullable() }),
  ),
});
