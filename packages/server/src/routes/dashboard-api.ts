import { connectionStats } from '@weft/auth';
import { coreErrors } from '@weft/core';
import { proxyStats } from '@weft/proxy';
import { countRecordsByModel, webhookStats } from '@weft/records';
import { runStats } from '@weft/scheduler';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import {
  dashboardConnectionQuery,
  dashboardConnectionResponse,
  dashboardLogsQuery,
  dashboardLogsResponse,
  overviewQuery,
  overviewResponse,
} from '../contract/dashboard.js';
import { serialize } from '../contract/shared.js';
import { listOperations } from '../operation-log.js';
import { parseRequest } from '../validate.js';

/** The overview's time ranges: how many buckets of which size each draws. */
export const OVERVIEW_RANGES = {
  '1h': { buckets: 12, bucketSeconds: 300 },
  '24h': { buckets: 24, bucketSeconds: 3600 },
  '7d': { buckets: 28, bucketSeconds: 6 * 3600 },
} as const;

/**
 * Bucket-aligned start of a range ending with the current bucket: `buckets` whole buckets, the
 * last one still filling. Aligned to the bucket size so consecutive refreshes draw the same bars.
 */
export function windowStart(now: number, bucketSeconds: number, buckets: number): Date {
  const stride = bucketSeconds * 1000;
  return new Date(Math.floor(now / stride) * stride - stride * (buckets - 1));
}

/**
 * `/dashboard/api/*`: the aggregates and searches the dashboard draws, each a call into the
 * package that owns the table (runs → scheduler, proxy calls → proxy, webhooks and records →
 * records, connections → auth). Secret-key authenticated like every API route.
 */
export const dashboardApiRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/dashboard/api/overview', async (request) => {
      const q = parseRequest(overviewQuery, request.query, 'query');
      const { buckets, bucketSeconds } = OVERVIEW_RANGES[q.range];
      const since = windowStart(Date.now(), bucketSeconds, buckets);
      const window = {
        environmentId: request.environment.id,
        integration: q.integration ?? null,
        since,
        buckets,
        bucketSeconds,
      };
      const [runs, proxy, webhooks, connections] = await Promise.all([
        runStats(ctx.pool, window),
        proxyStats(ctx.pool, window),
        webhookStats(ctx.pool, window),
        connectionStats(ctx.pool, window.environmentId, window.integration),
      ]);
      return serialize(overviewResponse, {
        range: q.range,
        integration: q.integration ?? null,
        since: since.toISOString(),
        bucket_seconds: bucketSeconds,
        // Bucket starts, epoch seconds (the charts' x axis).
        buckets: Array.from({ length: buckets }, (_, i) => since.getTime() / 1000 + i * bucketSeconds),
        runs: { buckets: runs.buckets, total: runs.total },
        records: runs.records,
        proxy,
        webhooks,
        connections,
      });
    });

    app.get('/dashboard/api/logs', async (request) => {
      const q = parseRequest(dashboardLogsQuery, request.query, 'query');
      if ((q.before_at === undefined) !== (q.before_id === undefined)) {
        throw coreErrors.create(
          'WEFT_API_INVALID_REQUEST',
          { problems: 'query.before_at and query.before_id go together' },
          { issues: [{ path: 'query.before_id', message: 'before_at and before_id go together' }] },
        );
      }
      const rows = await listOperations(ctx.pool, {
        environmentId: request.environment.id,
        connectionId: q.connection_id ?? null,
        integration: q.integration ?? null,
        name: q.name ?? null,
        state: q.state ?? null,
        since: q.since ?? null,
        until: null,
        types: q.type ?? null,
        search: q.q ?? null,
        before: q.before_at !== undefined && q.before_id !== undefined ? { at: q.before_at, id: q.before_id } : null,
        // One row more than asked tells whether an older page exists.
        limit: q.limit + 1,
      });
      return serialize(dashboardLogsResponse, { operations: rows.slice(0, q.limit), has_more: rows.length > q.limit });
    });

    // What the connection page shows about a connection, never its credentials.
    app.get('/dashboard/api/connection', async (request) => {
      const auth = ctx.auth;
      if (auth === undefined) throw coreErrors.create('WEFT_API_NOT_FOUND', { method: 'GET', url: request.url });
      const q = parseRequest(dashboardConnectionQuery, request.query, 'query');
      const c = await auth.findConnectionRecord({
        environmentId: request.environment.id,
        providerConfigKey: q.provider_config_key,
        connectionId: q.connection_id,
      });
      return serialize(dashboardConnectionResponse, {
        connection_id: c.connectionId,
        provider_config_key: c.providerConfigKey,
        auth_state: c.authState,
        end_user: c.endUser,
        metadata: c.metadata,
        credentials_expires_at: c.credentialsExpiresAt,
        last_refresh_at: c.lastRefreshAt,
        last_refresh_error: c.lastRefreshError,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
        records: (await countRecordsByModel(ctx.pool, c.id)).map((m) => ({
          model: m.model,
          live: m.live,
          deleted: m.deleted,
          last_modified_at: m.lastModifiedAt,
        })),
      });
    });
  };
