import { createHash, randomUUID } from 'node:crypto';
import { findRoutedConnections, integrationForwardsWebhooks } from '@weft/auth';
import { type Pool, withTransaction } from '@weft/db';
import { enqueueSyncEvent, enqueueWebhookEvent, takeRunChanges } from '@weft/records';
import type { Runner, SyncRunResult } from '@weft/runner';
import { schedulerErrors } from './errors.js';
import { failedRunResult } from './failed-run-result.js';
import * as sql from './sql/provider-webhooks.js';
import type {
  StoredNotification,
  WebhookConnection,
  WebhookRoute,
  WebhookRouterRegistry,
  WebhookRoutingContext,
} from './webhook-router.js';
import { forwardOnlyRouter } from './webhook-rule-router.js';

export interface WebhookProcessorOptions {
  pool: Pool;
  runner: Runner;
  routers: WebhookRouterRegistry;
  workerId: string;
  /** A claim older than this belongs to a dead worker and is taken over (the heartbeat timeout). */
  leaseSeconds: number;
  /** Processing attempts of one notification before it is marked failed. @default 5 */
  maxAttempts?: number;
  /** Told about handler runs in flight, so the scheduler heartbeats (and on stop cancels) them. */
  track(runId: string, controller: AbortController): void;
  untrack(runId: string): void;
  /** Queue jobs for sync runs created by `action: 'sync'` routes. */
  queueRuns(runIds: string[]): Promise<void>;
  /** Whether the integration forwards provider webhooks to the customer. @default its forward_webhooks setting */
  forwards?: (integrationId: number) => Promise<boolean>;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** What processing one notification came to. */
export type ProcessResult =
  | 'processed'
  | 'refused'
  | 'failed'
  /** Not claimable now: processed already, or claimed by a live worker. */
  | 'skipped'
  /** A target sync is running: the notification was given back, try again shortly. */
  | 'busy';

interface ClaimedRow {
  id: string;
  environment_id: number;
  integration_id: number;
  provider_config_key: string;
  provider: string;
  dedupe_key: string;
  payload: unknown;
  headers: Record<string, string>;
  received_at: string;
  attempts: number;
  done_targets: string[];
}

/** A UUID-shaped id derived from `seed`, so a retried step cannot enqueue the same event twice. */
function stableId(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function subscribed(subscriptions: string[] | undefined, eventType: string | undefined): boolean {
  if (subscriptions === undefined || subscriptions.length === 0) return false;
  return subscriptions.includes('*') || (eventType !== undefined && subscriptions.includes(eventType));
}

/**
 * The asynchronous half of an inbound webhook: claim a stored notification, verify and route it
 * with its provider's router, run the handlers (each a sync run with trigger `webhook`, its
 * records, counts and customer webhook committed like a scheduled run's) or queue incremental
 * runs, forward it to the customer, and mark it processed. A handler run whose commit is recorded
 * in `done_targets` is not run again when the notification is retried after a crash.
 */
export function createWebhookProcessor(options: WebhookProcessorOptions) {
  const { pool, runner, workerId } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const claimed = new Set<string>();

  function contextFor(n: StoredNotification): WebhookRoutingContext {
    const lookup = (by: Parameters<typeof findRoutedConnections>[3]) =>
      findRoutedConnections(pool, n.environmentId, n.integration.id, by);
    return {
      pool,
      connectionsWhere: (field, key, value) => lookup({ field, key, value }),
      connectionsOfIntegration: () => lookup({ all: true }),
      connectionsById: (connectionIds) => lookup({ connectionIds }),
      log: (level, message) => options.log?.(level, `webhook ${n.id} (${n.integration.uniqueKey}): ${message}`),
    };
  }

  async function finish(id: string, status: 'processed' | 'refused' | 'failed', outcome: object): Promise<void> {
    await pool.query(sql.FINISH_NOTIFICATION, [id, workerId, status, JSON.stringify(outcome)]);
  }

  /** Run one sync's handler for one connection; false when the sync is running (try later). */
  async function runHandler(
    n: StoredNotification,
    connection: WebhookConnection,
    syncName: string,
    target: string,
  ): Promise<{ runId: string; status: string } | 'busy' | 'paused'> {
    const runId = randomUUID();
    let started: { started_at: string } | undefined;
    try {
      ({
        rows: [started],
      } = await pool.query<{ id: string; started_at: string }>(sql.START_HANDLER_RUN, [
        runId,
        connection.id,
        syncName,
        workerId,
        n.id,
      ]));
    } catch (error) {
      // 23505: a run of this sync and connection is running; handlers never overlap it.
      if ((error as { code?: string }).code === '23505') return 'busy';
      throw error;
    }
    if (started === undefined) {
      // Paused: its handler does not run (as its schedule does not). No schedule yet: the next
      // reconcile (within a tick of a new connection or deploy) creates it; wait for it.
      const { rows } = await pool.query<{ state: string }>(sql.SCHEDULE_STATE, [connection.id, syncName]);
      return rows[0]?.state === 'paused' ? 'paused' : 'busy';
    }
    const controller = new AbortController();
    options.track(runId, controller);
    let result: SyncRunResult;
    try {
      result = await runner.runSync({
        runId,
        environmentId: n.environmentId,
        connection: {
          id: connection.id,
          providerConfigKey: n.integration.uniqueKey,
          connectionId: connection.connectionId,
        },
        syncName,
        mode: 'incremental',
        lastSyncDate: null,
        signal: controller.signal,
        webhook: { payload: n.payload },
      });
    } catch (error) {
      result = failedRunResult(error);
    } finally {
      options.untrack(runId);
    }
    // Cancelled = this process is stopping: the run is handed back (interrupted) and the notification
    // is taken again by the next worker, which runs this target again.
    const status = result.status === 'cancelled' ? 'interrupted' : result.status;
    const finished = await withTransaction(pool, async (client) => {
      const counts = status === 'interrupted' ? result.counts : await takeRunChanges(client, [runId]);
      const { rows } = await client.query<{ started_at: string }>(sql.FINISH_HANDLER_RUN, [
        runId,
        workerId,
        status,
        JSON.stringify(counts),
        result.error ? JSON.stringify(result.error) : null,
        JSON.stringify(result.logs.slice(-500)),
        result.invalidRecords ? JSON.stringify(result.invalidRecords) : null,
      ]);
      if (rows.length === 0 || status === 'interrupted') return false;
      const startedAt = new Date(rows[0]?.started_at ?? started.started_at).toISOString();
      // Records the handler saved reach the customer like a sync run's: one signed sync webhook.
      await enqueueSyncEvent(client, {
        environmentId: n.environmentId,
        connectionId: connection.connectionId,
        providerConfigKey: n.integration.uniqueKey,
        syncName,
        syncType: 'INCREMENTAL',
        runId,
        startedAt,
        finishedAt: new Date().toISOString(),
        modifiedAfter: startedAt,
        success: status === 'success',
        counts,
        ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
        ...(result.invalidRecords ? { invalidRecords: result.invalidRecords } : {}),
      });
      await client.query(sql.MARK_TARGET_DONE, [n.id, target]);
      return true;
    });
    return finished ? { runId, status } : 'busy';
  }

  async function runHandlers(
    n: StoredNotification,
    route: WebhookRoute,
    done: Set<string>,
  ): Promise<{ runs: Array<{ target: string; runId?: string; status: string }>; busy: boolean }> {
    const scripts = await runner.scriptsConfig(n.environmentId, n.integration.uniqueKey);
    const syncs = scripts.filter(
      (s) =>
        s.kind === 'sync' &&
        s.definition.kind === 'sync' &&
        s.definition.webhookHandler === true &&
        subscribed(s.definition.webhookSubscriptions, route.eventType) &&
        (route.syncs === undefined || route.syncs.includes(s.name)),
    );
    const runs: Array<{ target: string; runId?: string; status: string }> = [];
    for (const connection of route.connections)
      for (const sync of syncs) {
        const target = `${connection.id}:${sync.name}`;
        if (done.has(target)) continue;
        const ran = await runHandler(n, connection, sync.name, target);
        if (ran === 'busy') return { runs, busy: true };
        if (ran === 'paused') {
          runs.push({ target, status: 'paused' });
          continue;
        }
        runs.push({ target, ...ran });
      }
    return { runs, busy: false };
  }

  async function queueSyncs(route: WebhookRoute): Promise<string[]> {
    const { rows } = await pool.query<{ id: number; sync_name: string; state: string }>(sql.SCHEDULES_OF_CONNECTIONS, [
      route.connections.map((c) => c.id),
    ]);
    const queued: string[] = [];
    for (const schedule of rows) {
      if (route.syncs !== undefined && !route.syncs.includes(schedule.sync_name)) continue;
      const { rows: run } = await pool.query<{ id: string; created: boolean }>(sql.QUEUE_WEBHOOK_SYNC, [schedule.id]);
      if (run[0]) queued.push(run[0].id);
    }
    await options.queueRuns(queued);
    return queued;
  }

  async function forward(n: StoredNotification, route: WebhookRoute): Promise<number> {
    if (route.forward === false) return 0;
    const forwards = options.forwards ?? ((id: number) => integrationForwardsWebhooks(pool, id));
    if (!(await forwards(n.integration.id))) return 0;
    // Nango's NangoForwardWebhookBody: one per connection it routed to, else one without connectionId.
    const targets: Array<string | undefined> =
      route.connections.length > 0 ? route.connections.map((c) => c.connectionId) : [undefined];
    for (const connectionId of targets)
      await enqueueWebhookEvent(pool, {
        environmentId: n.environmentId,
        type: 'forward',
        id: stableId(`weft-forward:${n.id}:${connectionId ?? ''}`),
        payload: {
          from: n.integration.provider,
          providerConfigKey: n.integration.uniqueKey,
          ...(connectionId !== undefined ? { connectionId } : {}),
          payload: n.payload,
        },
      });
    return targets.length;
  }

  return {
    /** Notifications this process has claimed and not finished (their claims are renewed). */
    claimed: () => [...claimed],

    async process(id: string): Promise<ProcessResult> {
      const { rows } = await pool.query<ClaimedRow>(sql.CLAIM_NOTIFICATION, [id, workerId, options.leaseSeconds]);
      const row = rows[0];
      if (row === undefined) return 'skipped';
      claimed.add(row.id);
      try {
        const n: StoredNotification = {
          id: row.id,
          environmentId: row.environment_id,
          integration: { id: row.integration_id, uniqueKey: row.provider_config_key, provider: row.provider },
          dedupeKey: row.dedupe_key,
          payload: row.payload,
          headers: row.headers,
          receivedAt: row.received_at,
          attempt: row.attempts,
        };
        if (row.attempts > maxAttempts) {
          await finish(n.id, 'failed', { reason: `gave up after ${maxAttempts} attempts` });
          return 'failed';
        }
        const router = options.routers.routerFor(n.integration.provider) ?? forwardOnlyRouter;
        const context = contextFor(n);
        const verdict = router.verify ? await router.verify(n, context) : { ok: true as const };
        if (!verdict.ok) {
          // Logged and recorded with a stable code; nothing runs and nothing is forwarded.
          const refusal = schedulerErrors.create('WEFT_WEBHOOK_REFUSED', { id: n.id, reason: verdict.reason });
          context.log('warn', `${refusal.code} by ${router.name}: ${refusal.message}`);
          await finish(n.id, 'refused', { router: router.name, code: refusal.code, reason: verdict.reason });
          return 'refused';
        }
        const route = await router.route(n, context);
        const ran =
          route.action === 'handler'
            ? await runHandlers(n, route, new Set(row.done_targets))
            : { runs: [], busy: false };
        if (ran.busy) {
          await pool.query(sql.RELEASE_NOTIFICATION, [n.id, workerId]);
          return 'busy';
        }
        const queued = route.action === 'sync' ? await queueSyncs(route) : [];
        const forwarded = await forward(n, route);
        await finish(n.id, 'processed', {
          router: router.name,
          action: route.action,
          ...(route.eventType !== undefined ? { eventType: route.eventType } : {}),
          connections: route.connections.map((c) => c.connectionId),
          runs: ran.runs,
          queued,
          forwarded,
        });
        return 'processed';
      } finally {
        claimed.delete(row.id);
      }
    },
  };
}

export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>;
