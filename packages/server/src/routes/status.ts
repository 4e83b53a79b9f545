import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { serialize } from '../contract/shared.js';
import {
  connectionHealth,
  connectionStatusParams,
  connectionStatusQuery,
  integrationStatus,
  integrationStatusParams,
} from '../contract/status.js';
import { parseRequest } from '../validate.js';

interface SyncHealth {
  sync_name: string;
  state: string;
  next_run_at: string | null;
  last_run: { status: string; started_at: string | null; ended_at: string | null; error: unknown } | null;
  runs_24h: number;
  failures_24h: number;
}

const SYNC_HEALTH = `
SELECT sc.connection_id, sc.sync_name, sc.state, CASE WHEN sc.state = 'active' THEN sc.next_run_at END AS next_run_at,
       r.status AS last_status, r.started_at AS last_started_at, r.ended_at AS last_ended_at, r.error AS last_error,
       (SELECT count(*)::int FROM sync_runs x WHERE x.schedule_id = sc.id AND x.created_at > now() - interval '24 hours' AND x.status NOT IN ('queued', 'running')) AS runs_24h,
       (SELECT count(*)::int FROM sync_runs x WHERE x.schedule_id = sc.id AND x.created_at > now() - interval '24 hours' AND x.status IN ('failed', 'interrupted')) AS failures_24h
FROM schedules sc
LEFT JOIN LATERAL (SELECT * FROM sync_runs r WHERE r.schedule_id = sc.id AND r.status NOT IN ('queued') ORDER BY r.created_at DESC LIMIT 1) r ON true
WHERE sc.connection_id = ANY($1::bigint[])
ORDER BY sc.sync_name`;

interface HealthRow {
  connection_id: number;
  sync_name: string;
  state: string;
  next_run_at: string | null;
  last_status: string | null;
  last_started_at: string | null;
  last_ended_at: string | null;
  last_error: unknown;
  runs_24h: number;
  failures_24h: number;
}

function syncHealth(row: HealthRow): SyncHealth {
  return {
    sync_name: row.sync_name,
    state: row.state,
    next_run_at: row.next_run_at,
    last_run:
      row.last_status === null
        ? null
        : {
            status: row.last_status,
            started_at: row.last_started_at,
            ended_at: row.last_ended_at,
            error: row.last_error,
          },
    runs_24h: row.runs_24h,
    failures_24h: row.failures_24h,
  };
}

/** Health of a connection: auth state, last refresh, and per sync the last run, error rate and next run. */
function health(
  connection: {
    connectionId: string;
    providerConfigKey: string;
    authState: string;
    lastRefreshAt: string | null;
    lastRefreshError: string | null;
  },
  syncs: SyncHealth[],
) {
  const failures = syncs.reduce((n, s) => n + s.failures_24h, 0);
  const runs = syncs.reduce((n, s) => n + s.runs_24h, 0);
  const failing = syncs.some((s) => s.last_run?.status === 'failed' || s.last_run?.status === 'interrupted');
  return {
    connection_id: connection.connectionId,
    provider_config_key: connection.providerConfigKey,
    health: (connection.authState === 'needs_reauth' ? 'needs_reauth' : failing ? 'failing' : 'ok') as
      | 'needs_reauth'
      | 'failing'
      | 'ok',
    auth: {
      state: connection.authState,
      last_refresh_at: connection.lastRefreshAt,
      last_refresh_error: connection.lastRefreshError,
    },
    error_rate_24h: runs === 0 ? 0 : failures / runs,
    syncs,
  };
}

/** `GET /connections/:id/status`, `GET /integrations/:key/status`. */
export const statusRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    app.get('/connections/:connectionId/status', async (request) => {
      const { connectionId } = parseRequest(connectionStatusParams, request.params, 'params');
      const { provider_config_key } = parseRequest(connectionStatusQuery, request.query, 'query');
      const record = await auth.findConnectionRecord({
        environmentId: request.environment.id,
        providerConfigKey: provider_config_key,
        connectionId,
      });
      const { rows } = await ctx.pool.query<HealthRow>(SYNC_HEALTH, [[record.id]]);
      return serialize(connectionHealth, health(record, rows.map(syncHealth)));
    });

    app.get('/integrations/:key/status', async (request) => {
      const { key } = parseRequest(integrationStatusParams, request.params, 'params');
      const integration = await auth.getIntegration(request.environment.id, key);
      const connections = await auth.listConnections(request.environment.id, { providerConfigKey: key });
      const { rows } = await ctx.pool.query<HealthRow>(SYNC_HEALTH, [connections.map((c) => c.id)]);
      const byConnection = new Map<number, SyncHealth[]>();
      for (const row of rows)
        byConnection.set(row.connection_id, [...(byConnection.get(row.connection_id) ?? []), syncHealth(row)]);
      const list = connections.map((c) => health(c, byConnection.get(c.id) ?? []));
      const count = (state: string) => list.filter((c) => c.health === state).length;
      return serialize(integrationStatus, {
        unique_key: integration.uniqueKey,
        provider: integration.provider,
        warnings: integration.warnings,
        client_secret_expires_at: integration.clientSecretExpiresAt,
        connections: {
          total: list.length,
          ok: count('ok'),
          failing: count('failing'),
          needs_reauth: count('needs_reauth'),
        },
        items: list,
      });
    });
  };
