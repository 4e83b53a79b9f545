import { hostname } from 'node:os';
import { connectionRowId, type Pool, withTransaction } from '@weft/db';
import { enqueueSyncEvent, type RunChangeCounts, takeRunChanges } from '@weft/records';
import { parseFrequency, type Runner, type SyncRunMode, type SyncRunResult } from '@weft/runner';
import { PgBoss } from 'pg-boss';
import type { AsyncActionAcceptor } from './action-lifecycle.js';
import { createActionQueue } from './action-queue.js';
import { schedulerErrors } from './errors.js';
import { failedRunResult } from './failed-run-result.js';
import { createWebhookProcessor } from './process-webhook.js';
import { receiveProviderWebhook } from './receive-webhook.js';
import * as webhookSql from './sql/provider-webhooks.js';
import * as sql from './sql.js';
import {
  type SyncRun,
  type SyncRunRow,
  type SyncStatus,
  type SyncStatusRow,
  syncRunFromRow,
  syncStatusFromRow,
} from './sync-status.js';
import { type InboundWebhookRequest, WebhookRouterRegistry } from './webhook-router.js';

const QUEUE = 'weft-sync-runs';
/** Inbound provider webhooks stored in the inbox, one job per notification (process-webhook.ts). */
const WEBHOOK_QUEUE = 'weft-provider-webhooks';

export interface SchedulerOptions {
  pool: Pool;
  /** Connection string for pg-boss (same database). */
  connectionString: string;
  runner: Runner;
  /** `all` = schedules + worker (weft start); `worker` = runs only (weft worker). */
  role?: 'all' | 'worker';
  workerId?: string;
  /** Concurrent runs in this process. @default 4 */
  concurrency?: number;
  /** Concurrent runs per integration in this process, so one provider cannot take every slot; 0 = no cap. @default 0 */
  providerConcurrency?: number;
  /** Multiplies every frequency, jitter and backoff; tests use e.g. 0.01. @default 1 */
  timeScale?: number;
  /** How often due schedules are queued and stale runs reaped. @default 1000 ms */
  tickMs?: number;
  heartbeatMs?: number;
  /** A running run without heartbeat for this long is interrupted and retried. @default 30000 */
  heartbeatTimeoutMs?: number;
  /** Attempts per scheduled run (first + retries). @default 3 */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. @default 30000 */
  retryDelayMs?: number;
  /** Grace for running runs on stop before they are handed back. @default 10000 */
  shutdownGraceMs?: number;
  onError?: (error: unknown) => void;
  /** Routers for inbound provider webhooks (Graph, providers.yaml rules); none = store and forward only. */
  webhookRouters?: WebhookRouterRegistry;
  /** Whether an integration forwards provider webhooks to the customer. @default its forward_webhooks setting */
  webhookForwards?: (integrationId: number) => Promise<boolean>;
  /** Where routers' and the webhook processor's notes go (refused notifications, unroutable ones). */
  onWebhookLog?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface SyncSelector {
  environmentId: number;
  providerConfigKey: string;
  syncs?: string[];
  connectionId?: string;
}

interface ClaimedRun {
  id: string;
  schedule_id: number;
  environment_id: number;
  connection_id: number;
  sync_name: string;
  variant: string;
  mode: SyncRunMode;
  attempt: number;
  trigger: string;
  provider_config_key: string | null;
  external_id: string | null;
  last_success: string | null;
}

export type Scheduler = ReturnType<typeof createScheduler>;

/** Thrown inside the outcome transaction to roll it back when the run was reaped meanwhile. */
const REAPED_MEANWHILE = Symbol('reaped meanwhile');

/**
 * The counts a run reports: what was committed (by it and the interrupted attempts it retries),
 * per model, with zeros for models it touched without changing anything. Never the runner's
 * in-memory tally, which a crash loses and a retry restarts from zero.
 */
function committedCounts(touched: Record<string, unknown>, committed: RunChangeCounts): RunChangeCounts {
  const counts: RunChangeCounts = {};
  for (const model of Object.keys(touched)) counts[model] = { added: 0, updated: 0, deleted: 0 };
  return Object.assign(counts, committed);
}

/**
 * Background syncs on pg-boss: schedules live in Postgres (no per-schedule state in memory),
 * due ones become `sync_runs` rows plus a pg-boss job each; workers claim a run (one running
 * per connection+sync is a unique index), execute it in the sandbox with heartbeats, and
 * record the outcome with its webhook event in one transaction. A run whose worker died is
 * found by its stale heartbeat, marked interrupted and retried from its checkpoint.
 */
export function createScheduler(options: SchedulerOptions) {
  const { pool, runner } = options;
  const role = options.role ?? 'all';
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const scale = options.timeScale ?? 1;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 30_000;
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    useListenNotify: true,
    max: 4,
  } as ConstructorParameters<typeof PgBoss>[0]);
  boss.on('error', (error: unknown) => options.onError?.(error));
  const running = new Map<string, AbortController>();
  let tickTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopped = false;
  // Async actions: pg-boss jobs of the whole fleet, capped by the runner's action slots.
  const asyncActions = createActionQueue({
    pool,
    boss,
    runner,
    workerId,
    heartbeatTimeoutMs,
    onError: (error) => options.onError?.(error),
  });
  const webhookRouters = options.webhookRouters ?? new WebhookRouterRegistry();
  const leaseSeconds = heartbeatTimeoutMs / 1000;
  const webhooks = createWebhookProcessor({
    pool,
    runner,
    routers: webhookRouters,
    workerId,
    leaseSeconds,
    track: (runId, controller) => running.set(runId, controller),
    untrack: (runId) => running.delete(runId),
    queueRuns: (ids) => sendJobs(ids.map((id) => ({ id }))),
    ...(options.webhookForwards ? { forwards: options.webhookForwards } : {}),
    ...(options.onWebhookLog ? { log: options.onWebhookLog } : {}),
  });

  /** `waits`: how often the notification already waited for a busy sync (its next wait doubles, up to 30 s). */
  async function sendWebhookJobs(ids: string[], afterSeconds?: number, waits = 0): Promise<void> {
    if (ids.length === 0) return;
    await boss.insert(
      WEBHOOK_QUEUE,
      ids.map((id) => ({
        data: { id, waits },
        ...(afterSeconds !== undefined ? { startAfter: String(afterSeconds) } : {}),
      })),
    );
  }

  /**
   * Inbox rows nobody is working on: received ones whose job was lost (the process that stored
   * them died before sending it; `receivedAgeSeconds` 0 at start) and claims older than the lease.
   */
  async function sweepWebhooks(receivedAgeSeconds: number): Promise<void> {
    for (;;) {
      const { rows } = await pool.query<{ id: string }>(webhookSql.PENDING_NOTIFICATIONS, [
        receivedAgeSeconds,
        leaseSeconds,
        500,
      ]);
      await sendWebhookJobs(rows.map((r) => r.id));
      if (rows.length < 500) break;
    }
  }

  /**
   * Jobs for runs, optionally after a delay. The delay goes to pg-boss as seconds, which it adds to
   * the database's clock: a Date from this process's clock could make a job due before its run's
   * run_after (set by the database) when the clocks differ, and that run would never be claimed.
   */
  async function sendJobs(runs: Array<{ id: string; afterSeconds?: number }>): Promise<void> {
    if (runs.length === 0) return;
    await boss.insert(
      QUEUE,
      runs.map((r) => ({
        data: { runId: r.id },
        ...(r.afterSeconds !== undefined && r.afterSeconds > 0 ? { startAfter: String(r.afterSeconds) } : {}),
      })),
    );
  }

  async function tick(): Promise<void> {
    await pool.query(sql.RECONCILE_SCHEDULES, [scale]);
    await pool.query(sql.DELETE_ORPHAN_SCHEDULES);
    for (;;) {
      const { rows } = await pool.query<{ id: string }>(sql.QUEUE_DUE, [500, scale]);
      await sendJobs(rows);
      if (rows.length < 500) break;
    }
    const reaped = await pool.query<{ id: string; attempt: number; trigger: string }>(sql.REAP, [
      heartbeatTimeoutMs / 1000,
    ]);
    // A webhook handler run is not retried as a sync run: its notification's claim lapses and the
    // notification is processed again (sweepWebhooks), which runs the handler again.
    for (const run of reaped.rows) if (run.trigger !== 'webhook') await retry(run.id, run.attempt, 0, true);
    await sweepWebhooks(Math.max(30, leaseSeconds));
  }

  async function retry(runId: string, attempt: number, delayMs: number, interrupted = false): Promise<void> {
    const { rows } =
      attempt < maxAttempts
        ? await pool.query<{ id: string; run_after: string }>(sql.QUEUE_RETRY, [runId, delayMs / 1000])
        : { rows: [] };
    // Before the job is sent, so the run taking over cannot finish without the adopted changes.
    if (interrupted) await pool.query(sql.ADOPT_INTERRUPTED, [runId]);
    const next = rows[0];
    if (next) await sendJobs([{ id: next.id, afterSeconds: delayMs / 1000 }]);
  }

  function scheduleTick(): void {
    if (stopped || role !== 'all') return;
    tickTimer = setTimeout(() => {
      ticking = tick()
        .catch((error: unknown) => options.onError?.(error))
        .finally(() => {
          ticking = undefined;
          scheduleTick();
        });
    }, options.tickMs ?? 1_000);
    tickTimer.unref();
  }

  const activeByIntegration = new Map<string, number>();

  async function execute(runId: string): Promise<void> {
    const cap = options.providerConcurrency ?? 0;
    let integrationKey: string | undefined;
    if (cap > 0) {
      const { rows } = await pool.query<{ key: string }>(sql.RUN_INTEGRATION_KEY, [runId]);
      integrationKey = rows[0]?.key;
      if (integrationKey !== undefined && (activeByIntegration.get(integrationKey) ?? 0) >= cap) {
        await sendJobs([{ id: runId, afterSeconds: 1 }]);
        return;
      }
      if (integrationKey !== undefined)
        activeByIntegration.set(integrationKey, (activeByIntegration.get(integrationKey) ?? 0) + 1);
    }
    try {
      await executeClaimed(runId);
    } finally {
      if (integrationKey !== undefined)
        activeByIntegration.set(integrationKey, (activeByIntegration.get(integrationKey) ?? 1) - 1);
    }
  }

  async function executeClaimed(runId: string): Promise<void> {
    let claimed: ClaimedRun | undefined;
    try {
      const { rows } = await pool.query<ClaimedRun>(sql.CLAIM_RUN, [runId, workerId]);
      claimed = rows[0];
    } catch (error) {
      // 23505: another run of this connection+sync is running; try again shortly (never overlap).
      if ((error as { code?: string }).code === '23505') {
        await sendJobs([{ id: runId, afterSeconds: 0.5 }]);
        return;
      }
      throw error;
    }
    if (claimed === undefined) {
      // Cancelled, or claimed elsewhere (a duplicate delivery) — or delivered before its run_after,
      // which must not strand it: a queued run nobody will claim blocks every later run of the sync.
      const { rows } = await pool.query<{ wait_seconds: number }>(sql.QUEUED_WAIT, [runId]);
      const early = rows[0];
      if (early !== undefined) await sendJobs([{ id: runId, afterSeconds: Math.max(0.05, early.wait_seconds) }]);
      return;
    }
    const run = claimed;
    const controller = new AbortController();
    running.set(run.id, controller);
    let result: SyncRunResult;
    let externalId = '';
    let providerConfigKey = '';
    let lastSuccess: string | undefined;
    try {
      externalId = run.external_id ?? '';
      providerConfigKey = run.provider_config_key ?? '';
      lastSuccess = run.last_success ?? undefined;
      result = await runner.runSync({
        runId: run.id,
        environmentId: run.environment_id,
        connection: { id: connectionRowId(run.connection_id), providerConfigKey, connectionId: externalId },
        syncName: run.sync_name,
        ...(run.variant !== 'base' ? { variant: run.variant } : {}),
        mode: run.mode,
        attempt: run.attempt,
        // A full or reset run fetches everything: legacy scripts see no lastSyncDate.
        lastSyncDate: run.mode === 'incremental' ? (lastSuccess ?? null) : null,
        signal: controller.signal,
      });
    } catch (error) {
      result = failedRunResult(error);
    } finally {
      running.delete(run.id);
    }
    const handedBack = result.status === 'cancelled' && stopped;
    const status = handedBack ? 'interrupted' : result.status;
    let counts: RunChangeCounts = result.counts;
    // A failure's webhook names the sync's models (Nango's `model`); a success names each changed one.
    const models =
      status === 'failed'
        ? await runner
            .scriptsConfig(run.environment_id, providerConfigKey)
            .then((scripts) => {
              const definition = scripts.find((s) => s.kind === 'sync' && s.name === run.sync_name)?.definition;
              return definition?.kind === 'sync' ? Object.keys(definition.models) : [];
            })
            .catch(() => [])
        : [];
    const finished = await withTransaction(pool, async (client) => {
      // An interrupted run keeps its committed changes for the retry that adopts them.
      if (status !== 'interrupted') {
        const chain = await client.query<{ id: string }>(sql.RUN_CHAIN, [run.id]);
        counts = committedCounts(
          result.counts,
          await takeRunChanges(
            client,
            chain.rows.map((r) => r.id),
          ),
        );
      }
      const { rows } = await client.query<{ id: string; started_at: string }>(sql.FINISH_RUN, [
        run.id,
        workerId,
        status,
        JSON.stringify(counts),
        result.error ? JSON.stringify(result.error) : null,
        JSON.stringify(result.logs.slice(-500)),
        result.invalidRecords ? JSON.stringify(result.invalidRecords) : null,
      ]);
      if (rows.length === 0) throw REAPED_MEANWHILE; // its retry owns the outcome (and the counts)
      if (status === 'success' || status === 'failed') {
        const startedAt = new Date(rows[0]?.started_at ?? Date.now() - result.durationMs).toISOString();
        await enqueueSyncEvent(client, {
          environmentId: run.environment_id,
          connectionId: externalId,
          providerConfigKey,
          syncName: run.sync_name,
          syncVariant: run.variant,
          // Nango's INITIAL: the run fetched everything (first run, or a full/reset resync).
          syncType: run.mode === 'incremental' && lastSuccess !== undefined ? 'INCREMENTAL' : 'INITIAL',
          runId: run.id,
          startedAt,
          finishedAt: new Date().toISOString(),
          modifiedAfter: startedAt,
          models,
          success: status === 'success',
          counts,
          ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
          ...(result.invalidRecords ? { invalidRecords: result.invalidRecords } : {}),
        });
      }
      return true;
    }).catch((error: unknown) => {
      if (error === REAPED_MEANWHILE) return false;
      throw error;
    });
    if (!finished) return;
    if (status === 'interrupted') await retry(run.id, run.attempt, 0, true);
    else if (status === 'failed' && result.error?.retryable)
      await retry(run.id, run.attempt, retryDelayMs * scale * 2 ** (run.attempt - 1));
  }

  async function selectSchedules(selector: SyncSelector) {
    const { rows } = await pool.query<{
      id: number;
      connection_id: number;
      sync_name: string;
      variant: string;
      state: string;
      external_id: string;
    }>(sql.SCHEDULES_FOR, [
      selector.environmentId,
      selector.providerConfigKey,
      selector.syncs && selector.syncs.length > 0 ? selector.syncs : null,
      selector.connectionId ?? null,
    ]);
    refuseMissing(selector, rows);
    return rows;
  }

  /** WEFT_SCHEDULER_SYNC_NOT_FOUND when the selector matched nothing or a named sync is missing. */
  function refuseMissing(selector: SyncSelector, rows: Array<{ sync_name: string }>): void {
    const missing = (selector.syncs ?? []).filter((name) => !rows.some((r) => r.sync_name === name));
    if (rows.length === 0 || missing.length > 0) {
      throw schedulerErrors.create('WEFT_SCHEDULER_SYNC_NOT_FOUND', {
        syncs: (missing.length > 0 ? missing : (selector.syncs ?? ['(any)'])).join(', '),
        providerConfigKey: selector.providerConfigKey,
        connection: selector.connectionId ? ` and connection ${selector.connectionId}` : '',
      });
    }
  }

  /** Workers for stored notifications (as many as run slots: handlers are runs), then the start sweep. */
  async function startWebhookWorkers(): Promise<void> {
    await boss
      .createQueue(WEBHOOK_QUEUE, { notify: true, retryLimit: 0, expireInSeconds: 24 * 3600 } as Parameters<
        typeof boss.createQueue
      >[1])
      .catch((error: unknown) => {
        if (!/already exists/i.test(String((error as Error).message))) throw error;
      });
    const slots = options.concurrency ?? 4;
    if (slots <= 0) return;
    for (let slot = 0; slot < slots; slot++) {
      let webhookWorker: string | undefined;
      webhookWorker = await boss.work<{ id: string; waits?: number }>(
        WEBHOOK_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 } as Parameters<
          typeof boss.work
        >[1],
        async (jobs: Array<{ data: { id: string; waits?: number } }>) => {
          for (const job of jobs) {
            const result = await webhooks.process(job.data.id).catch((error: unknown) => {
              // The claim stays and lapses after the lease; the sweep hands it to a worker again.
              options.onError?.(error);
              return 'failed' as const;
            });
            // A running sync of the same connection: handlers never overlap it, so wait for it to end.
            const waits = job.data.waits ?? 0;
            if (result === 'busy') await sendWebhookJobs([job.data.id], Math.min(30, 0.25 * 2 ** waits), waits + 1);
          }
          if (webhookWorker !== undefined && !stopped) boss.notifyWorker(webhookWorker);
        },
      );
    }
    // Whatever an earlier process accepted and did not process (kill -9 between the two) goes now.
    await sweepWebhooks(0).catch((error: unknown) => options.onError?.(error));
  }

  return {
    workerId,

    /** Where `X-Async: true` actions go (startAsyncAction's `queue`): run here, or queued for the fleet. */
    asyncActions: { accept: asyncActions.accept } satisfies AsyncActionAcceptor,

    /** The routers inbound webhooks use (h19b registers Microsoft Graph's here). */
    webhookRouters,

    /**
     * An inbound provider webhook: a handshake answered at once, or its notifications committed to
     * the inbox and a job sent for each (the reply to the provider comes after this resolves).
     */
    async receiveWebhook(request: InboundWebhookRequest) {
      const outcome = await receiveProviderWebhook(pool, webhookRouters, request);
      // A lost job is not a lost notification: the row is committed and the sweep finds it.
      if (outcome.kind === 'stored')
        await sendWebhookJobs(outcome.stored).catch((error: unknown) => options.onError?.(error));
      return outcome;
    },

    async start(): Promise<void> {
      stopped = false;
      await boss.start();
      await boss
        .createQueue(QUEUE, { notify: true, retryLimit: 0, expireInSeconds: 24 * 3600 } as Parameters<
          typeof boss.createQueue
        >[1])
        .catch((error: unknown) => {
          if (!/already exists/i.test(String((error as Error).message))) throw error;
        });
      // One pg-boss worker per slot. pg-boss re-fetches without its poll delay only after a full batch
      // of more than one job; with one run per slot (so a long sync never holds others back) each
      // worker asks for its next job itself, so a backlog drains at run speed instead of ~2 per
      // slot per poll interval.
      for (let slot = 0; slot < (options.concurrency ?? 4); slot++) {
        let workerId: string | undefined;
        workerId = await boss.work<{ runId: string }>(
          QUEUE,
          { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 } as Parameters<
            typeof boss.work
          >[1],
          async (jobs: Array<{ data: { runId: string } }>) => {
            for (const job of jobs) await execute(job.data.runId);
            if (workerId !== undefined && !stopped) boss.notifyWorker(workerId);
          },
        );
      }
      heartbeatTimer = setInterval(() => {
        const ids = [...running.keys()];
        if (ids.length > 0)
          pool.query(sql.HEARTBEAT, [ids, workerId]).catch((error: unknown) => options.onError?.(error));
        const claims = webhooks.claimed();
        if (claims.length > 0)
          pool.query(webhookSql.RENEW_CLAIMS, [claims, workerId]).catch((error: unknown) => options.onError?.(error));
      }, heartbeatMs);
      heartbeatTimer.unref();
      await startWebhookWorkers();
      await asyncActions.start();
      if (role === 'all') {
        // Reconcile and queue at once, so freshly deployed syncs start without waiting a tick.
        await tick().catch((error: unknown) => options.onError?.(error));
        scheduleTick();
      }
    },

    /** Finish running runs within the grace period, hand back the rest (interrupted → retried elsewhere). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(tickTimer);
      await ticking;
      await boss.offWork(QUEUE).catch(() => {});
      await boss.offWork(WEBHOOK_QUEUE).catch(() => {});
      const actionsStopped = asyncActions.stop(options.shutdownGraceMs ?? 10_000);
      const deadline = Date.now() + (options.shutdownGraceMs ?? 10_000);
      while (running.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const controller of running.values()) controller.abort();
      while (running.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      clearInterval(heartbeatTimer);
      await actionsStopped;
      await boss.stop({ graceful: true, timeout: 5_000 } as Parameters<typeof boss.stop>[0]);
    },

    /** Run now (coalesces with a run already queued). `full` clears the checkpoint first. */
    async trigger(selector: SyncSelector, mode: SyncRunMode = 'incremental'): Promise<string[]> {
      // Select and queue in one statement; it queues nothing when it finds a paused or missing sync.
      const { rows: schedules } = await pool.query<{
        sync_name: string;
        state: string;
        external_id: string;
        run_id: string | null;
      }>(sql.TRIGGER_MANUAL, [
        selector.environmentId,
        selector.providerConfigKey,
        selector.syncs && selector.syncs.length > 0 ? selector.syncs : null,
        selector.connectionId ?? null,
        mode,
      ]);
      refuseMissing(selector, schedules);
      const paused = schedules.find((s) => s.state === 'paused');
      if (paused)
        throw schedulerErrors.create('WEFT_SCHEDULER_SYNC_PAUSED', {
          syncName: paused.sync_name,
          connectionId: paused.external_id,
        });
      const queued = schedules.flatMap((s) => (s.run_id ? [s.run_id] : []));
      await sendJobs(queued.map((id) => ({ id })));
      return queued;
    },

    async pause(selector: SyncSelector): Promise<number> {
      const ids = (await selectSchedules(selector)).map((s) => s.id);
      await pool.query(`UPDATE schedules SET state = 'paused' WHERE id = ANY($1::bigint[])`, [ids]);
      await pool.query(
        `UPDATE sync_runs SET status = 'cancelled', ended_at = now() WHERE schedule_id = ANY($1::bigint[]) AND status = 'queued'`,
        [ids],
      );
      return ids.length;
    },

    async resume(selector: SyncSelector): Promise<number> {
      const ids = (await selectSchedules(selector)).map((s) => s.id);
      await pool.query(
        `UPDATE schedules SET state = 'active', next_run_at = least(next_run_at, now()) WHERE id = ANY($1::bigint[]) AND state = 'paused'`,
        [ids],
      );
      return ids.length;
    },

    async updateFrequency(
      selector: SyncSelector & { connectionId: string },
      frequency: string | null,
    ): Promise<number | null> {
      let seconds: number | null = null;
      if (frequency !== null) {
        try {
          seconds = parseFrequency(frequency);
        } catch (error) {
          throw schedulerErrors.create('WEFT_SCHEDULER_INVALID_FREQUENCY', { reason: (error as Error).message });
        }
      }
      const ids = (await selectSchedules(selector)).map((s) => s.id);
      await pool.query(
        `UPDATE schedules SET frequency_override_seconds = $2,
           next_run_at = least(next_run_at, now() + make_interval(secs => coalesce($2, frequency_seconds) * $3::float8))
         WHERE id = ANY($1::bigint[])`,
        [ids, seconds, scale],
      );
      return seconds;
    },

    async status(selector: SyncSelector): Promise<SyncStatus[]> {
      await selectSchedules(selector);
      const { rows } = await pool.query<SyncStatusRow>(sql.STATUS, [
        selector.environmentId,
        selector.providerConfigKey,
        selector.syncs && selector.syncs.length > 0 ? selector.syncs : null,
        selector.connectionId ?? null,
      ]);
      return rows.map(syncStatusFromRow);
    },

    async runs(selector: {
      environmentId: number;
      providerConfigKey: string;
      syncName?: string;
      connectionId?: string;
      limit?: number;
    }): Promise<SyncRun[]> {
      const { rows } = await pool.query<SyncRunRow>(sql.RUNS, [
        selector.environmentId,
        selector.providerConfigKey,
        selector.syncName ?? null,
        selector.connectionId ?? null,
        selector.limit ?? 50,
      ]);
      return rows.map(syncRunFromRow);
    },

    /** Reconcile and queue now (after a deploy or new connections) instead of at the next tick. */
    tickNow: () => (role === 'all' ? tick() : Promise.resolve()),
  };
}
