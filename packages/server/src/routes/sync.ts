import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseRequest } from '../validate.js';

const syncsField = z.union([z.array(z.string().min(1)), z.string()]).transform((value) =>
  Array.isArray(value)
    ? value
    : value === '*'
      ? []
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
);

const selectorBody = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
  syncs: syncsField.optional(),
  connection_id: z.string().min(1).optional(),
});

const triggerBody = selectorBody.extend({
  sync_mode: z.enum(['incremental', 'full_refresh', 'full_refresh_and_clear_cache']).optional(),
  full_resync: z.boolean().optional(),
});

const statusQuery = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
  syncs: syncsField.optional(),
  connection_id: z.string().min(1).optional(),
});

const frequencyBody = z.object({
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1),
  sync_name: z.string().min(1),
  sync_variant: z.string().optional(),
  frequency: z.string().nullable(),
});

const runsQuery = z.object({
  provider_config_key: z.string().min(1),
  sync_name: z.string().optional(),
  connection_id: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

function statusJson(row: Record<string, unknown>) {
  const state = row.state as string;
  const runStatus = row.run_status as string | null;
  const active = Number(row.active_runs ?? 0) > 0;
  const status =
    state === 'paused'
      ? 'PAUSED'
      : runStatus === 'running' || active
        ? 'RUNNING'
        : runStatus === 'failed' || runStatus === 'interrupted'
          ? 'ERROR'
          : runStatus === 'success'
            ? 'SUCCESS'
            : 'STOPPED';
  return {
    id: String(row.id),
    connection_id: row.external_id,
    name: row.sync_name,
    variant: row.variant,
    status,
    frequency_seconds: row.frequency_override_seconds ?? row.frequency_seconds,
    nextScheduledSyncAt: state === 'paused' ? null : row.next_run_at,
    finishedAt: row.ended_at ?? null,
    latestResult: row.counts ?? {},
    // Records the last run stored although they do not match their model (validation policy `warn`).
    invalidRecords: row.invalid_records ?? null,
    latestExecutionStatus: runStatus,
    latestError: row.error ?? null,
    attempt: row.attempt ?? null,
  };
}

/** Sync control (Nango-compatible): trigger, pause, start, status, per-connection frequency, run history. */
export const syncRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const scheduler = ctx.scheduler;
    if (scheduler === undefined) return;
    const selector = (environmentId: number, body: z.output<typeof selectorBody>) => ({
      environmentId,
      providerConfigKey: body.provider_config_key,
      ...(body.syncs ? { syncs: body.syncs } : {}),
      ...(body.connection_id ? { connectionId: body.connection_id } : {}),
    });

    app.post('/sync/trigger', async (request) => {
      const body = parseRequest(triggerBody, request.body, 'body');
      // Nango's modes: full_refresh clears the checkpoint; full_refresh_and_clear_cache also
      // replaces the records, which Weft does without a gap: the successful run's records become
      // the whole set and the rest are tombstoned (a failed run deletes nothing).
      const mode =
        body.sync_mode === 'full_refresh_and_clear_cache'
          ? 'reset'
          : body.sync_mode === 'full_refresh' || (body.sync_mode === undefined && body.full_resync === true)
            ? 'full'
            : 'incremental';
      const runs = await scheduler.trigger(selector(request.environment.id, body), mode);
      return { success: true, runs };
    });

    app.post('/sync/pause', async (request) => {
      const body = parseRequest(selectorBody, request.body, 'body');
      return { success: true, paused: await scheduler.pause(selector(request.environment.id, body)) };
    });

    app.post('/sync/start', async (request) => {
      const body = parseRequest(selectorBody, request.body, 'body');
      return { success: true, started: await scheduler.resume(selector(request.environment.id, body)) };
    });

    app.get('/sync/status', async (request) => {
      const query = parseRequest(statusQuery, request.query, 'query');
      const rows = await scheduler.status(selector(request.environment.id, query));
      return { syncs: rows.map(statusJson) };
    });

    app.put('/sync/update-connection-frequency', async (request) => {
      const body = parseRequest(frequencyBody, request.body, 'body');
      const seconds = await scheduler.updateFrequency(
        {
          environmentId: request.environment.id,
          providerConfigKey: body.provider_config_key,
          syncs: [body.sync_name],
          connectionId: body.connection_id,
        },
        body.frequency,
      );
      return { frequency: body.frequency, frequency_seconds: seconds };
    });

    app.get('/sync/runs', async (request) => {
      const query = parseRequest(runsQuery, request.query, 'query');
      const runs = await scheduler.runs({
        environmentId: request.environment.id,
        providerConfigKey: query.provider_config_key,
        limit: query.limit,
        ...(query.sync_name ? { syncName: query.sync_name } : {}),
        ...(query.connection_id ? { connectionId: query.connection_id } : {}),
      });
      return { runs };
    });
  };
