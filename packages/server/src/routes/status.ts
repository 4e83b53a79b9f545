import { connectionRowId } from '@weft/db';
import { type SyncHealth, syncHealth } from '@weft/scheduler';
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

interface SyncHealthJson {
  sync_name: string;
  state: string;
  next_run_at: string | null;
  last_run: { status: string; started_at: string | null; ended_at: string | null; error: unknown } | null;
  runs_24h: number;
  failures_24h: number;
}

function syncHealthJson(sync: SyncHealth): SyncHealthJson {
  return {
    sync_name: sync.syncName,
    state: sync.state,
    next_run_at: sync.nextRunAt,
    last_run:
      sync.lastRun === null
        ? null
        : {
            status: sync.lastRun.status,
            started_at: sync.lastRun.startedAt,
            ended_at: sync.lastRun.endedAt,
            error: sync.lastRun.error,
          },
    runs_24h: sync.runs24h,
    failures_24h: sync.failures24h,
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
  syncs: SyncHealthJson[],
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
      const syncs = await syncHealth(ctx.pool, [connectionRowId(record.id)]);
      return serialize(connectionHealth, health(record, syncs.map(syncHealthJson)));
    });

    app.get('/integrations/:key/status', async (request) => {
      const { key } = parseRequest(integrationStatusParams, request.params, 'params');
      const integration = await auth.getIntegration(request.environment.id, key);
      const connections = await auth.listConnections(request.environment.id, { providerConfigKey: key });
      const syncs = await syncHealth(
        ctx.pool,
        connections.map((c) => connectionRowId(c.id)),
      );
      const byConnection = new Map<number, SyncHealthJson[]>();
      for (const sync of syncs)
        byConnection.set(sync.connectionRowId, [
          ...(byConnection.get(sync.connectionRowId) ?? []),
          syncHealthJson(sync),
        ]);
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
