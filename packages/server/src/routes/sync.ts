import { connectionKeys } from '@weft/auth';
import type { ConnectionRowId } from '@weft/db';
import { countLiveRecords } from '@weft/records';
import { listCheckpoints, type SyncStatus } from '@weft/scheduler';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import { serialize } from '../contract/shared.js';
import {
  frequencyBody,
  frequencyResponse,
  frequencyText,
  pauseSyncResponse,
  type SyncStatusJson,
  startSyncResponse,
  syncRunsQuery,
  syncRunsResponse,
  syncSelectorBody,
  syncStatusQuery,
  syncStatusResponse,
  triggerSyncBody,
  triggerSyncResponse,
} from '../contract/syncs.js';
import { serverErrors } from '../errors.js';
import { parseRequest } from '../validate.js';

const selectorBody = syncSelectorBody;
const triggerBody = triggerSyncBody;
const statusQuery = syncStatusQuery;
const runsQuery = syncRunsQuery;

type ExecutionStatus = NonNullable<SyncStatusJson['latestExecutionStatus']>;
const EXECUTION_STATUS: Record<string, ExecutionStatus> = {
  running: 'RUNNING',
  success: 'SUCCESS',
  failed: 'ERROR',
  interrupted: 'ERROR',
  cancelled: 'STOPPED',
};

/** Weft runs each sync once per connection: Nango's variant `base`. */
function assertBaseVariants(syncs: Array<{ variant: string }> | undefined, variant?: string): void {
  const other = [...(syncs ?? []).map((s) => s.variant), ...(variant === undefined ? [] : [variant])].find(
    (v) => v !== 'base',
  );
  if (other !== undefined)
    throw serverErrors.create('WEFT_NOT_SUPPORTED', {
      feature: `Sync variant ${JSON.stringify(other)}`,
      reason: 'each sync runs once per connection (variant "base")',
    });
}

function statusJson(
  sync: SyncStatus,
  extra: { recordCount: Record<string, number>; checkpoint: Record<string, unknown> | null },
): SyncStatusJson {
  const runStatus = sync.lastRun?.status ?? null;
  const status =
    sync.state === 'paused'
      ? 'PAUSED'
      : runStatus === 'running' || sync.activeRuns > 0
        ? 'RUNNING'
        : runStatus === 'failed' || runStatus === 'interrupted'
          ? 'ERROR'
          : runStatus === 'success'
            ? 'SUCCESS'
            : 'STOPPED';
  const seconds = sync.frequencyOverrideSeconds ?? sync.frequencySeconds;
  const execution = runStatus === null ? undefined : EXECUTION_STATUS[runStatus];
  return {
    id: sync.scheduleId,
    connection_id: sync.connectionId,
    name: sync.syncName,
    variant: sync.variant,
    type: runStatus === null ? 'INITIAL' : 'INCREMENTAL',
    status,
    frequency: frequencyText(seconds),
    frequency_seconds: seconds,
    nextScheduledSyncAt: sync.state === 'paused' ? null : sync.nextRunAt,
    finishedAt: sync.lastRun?.endedAt ?? null,
    latestResult: sync.lastRun?.counts ?? {},
    ...(execution === undefined ? {} : { latestExecutionStatus: execution }),
    // Records the last run stored although they do not match their model (validation policy `warn`).
    invalidRecords: (sync.lastRun?.invalidRecords as SyncStatusJson['invalidRecords'] | undefined) ?? null,
    recordCount: extra.recordCount,
    checkpoint: extra.checkpoint,
    latestError: sync.lastRun?.error ?? null,
    attempt: sync.lastRun?.attempt ?? null,
  };
}

/** Sync control (Nango-compatible): trigger, pause, start, status, per-connection frequency, run history. */
export const syncRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const scheduler = ctx.scheduler;
    if (scheduler === undefined) return;
    const selector = (environmentId: number, body: z.output<typeof selectorBody>) => {
      assertBaseVariants(body.syncs);
      return {
        environmentId,
        providerConfigKey: body.provider_config_key,
        ...(body.syncs && body.syncs.length > 0 ? { syncs: body.syncs.map((s) => s.name) } : {}),
        ...(body.connection_id ? { connectionId: body.connection_id } : {}),
      };
    };

    app.post('/sync/trigger', async (request) => {
      const body = parseRequest(triggerBody, request.body, 'body');
      // Nango's modes: full_refresh clears the checkpoint; full_refresh_and_clear_cache also
      // replaces the records, which Weft does without a gap: the successful run's records become
      // the whole set and the rest are tombstoned (a failed run deletes nothing).
      // The client's `opts`: `reset` is a full resync, `emptyCache` with it also replaces the records.
      const mode =
        body.sync_mode === 'full_refresh_and_clear_cache' ||
        (body.opts?.reset === true && body.opts.emptyCache === true)
          ? 'reset'
          : body.sync_mode === 'full_refresh' ||
              body.opts?.reset === true ||
              (body.sync_mode === undefined && body.full_resync === true)
            ? 'full'
            : 'incremental';
      const runs = await scheduler.trigger(selector(request.environment.id, body), mode);
      return serialize(triggerSyncResponse, { success: true, runs });
    });

    app.post('/sync/pause', async (request) => {
      const body = parseRequest(selectorBody, request.body, 'body');
      return serialize(pauseSyncResponse, {
        success: true,
        paused: await scheduler.pause(selector(request.environment.id, body)),
      });
    });

    app.post('/sync/start', async (request) => {
      const body = parseRequest(selectorBody, request.body, 'body');
      return serialize(startSyncResponse, {
        success: true,
        started: await scheduler.resume(selector(request.environment.id, body)),
      });
    });

    app.get('/sync/status', async (request) => {
      const query = parseRequest(statusQuery, request.query, 'query');
      const rows = await scheduler.status(selector(request.environment.id, query));
      // Record counts and checkpoints are keyed by the connection's row id.
      const internal = new Map<string, ConnectionRowId>();
      if (rows.length > 0)
        for (const c of await connectionKeys(ctx.pool, request.environment.id, {
          providerConfigKey: query.provider_config_key,
        }))
          internal.set(c.connectionId, c.rowId);
      const ids = [...new Set(rows.map((r) => internal.get(r.connectionId)).filter((id) => id !== undefined))];
      const counts = await countLiveRecords(ctx.pool, ids);
      const checkpoints = await listCheckpoints(ctx.pool, ids);
      return serialize(syncStatusResponse, {
        syncs: rows.map((row) => {
          const id = internal.get(row.connectionId);
          const models = Object.keys(row.lastRun?.counts ?? {});
          const recordCount: Record<string, number> = Object.fromEntries(models.map((m) => [m, 0]));
          for (const c of counts) if (c.connectionRowId === id) recordCount[c.model] = c.count;
          const checkpoint =
            checkpoints.find(
              (c) => c.connectionRowId === id && c.syncName === row.syncName && c.variant === row.variant,
            )?.checkpoint ?? null;
          return statusJson(row, { recordCount, checkpoint });
        }),
      });
    });

    app.put('/sync/update-connection-frequency', async (request) => {
      const body = parseRequest(frequencyBody, request.body, 'body');
      assertBaseVariants(undefined, body.sync_variant);
      const seconds = await scheduler.updateFrequency(
        {
          environmentId: request.environment.id,
          providerConfigKey: body.provider_config_key,
          syncs: [body.sync_name],
          connectionId: body.connection_id,
        },
        body.frequency,
      );
      // Reverting (`null`) answers the script's own frequency, as Nango does.
      const effective =
        body.frequency ??
        (
          await scheduler.status({
            environmentId: request.environment.id,
            providerConfigKey: body.provider_config_key,
            syncs: [body.sync_name],
            connectionId: body.connection_id,
          })
        ).map((row) => frequencyText(row.frequencyOverrideSeconds ?? row.frequencySeconds))[0] ??
        '';
      return serialize(frequencyResponse, { frequency: effective, frequency_seconds: seconds });
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
      return serialize(syncRunsResponse, {
        runs: runs.map((r) => ({
          id: r.id,
          sync_name: r.syncName,
          variant: r.variant,
          status: r.status,
          mode: r.mode,
          trigger: r.trigger,
          attempt: r.attempt,
          worker_id: r.workerId,
          scheduled_for: r.scheduledFor,
          started_at: r.startedAt,
          ended_at: r.endedAt,
          counts: r.counts,
          error: r.error,
          invalid_records: r.invalidRecords,
          external_id: r.connectionId,
        })),
      });
    });
  };
