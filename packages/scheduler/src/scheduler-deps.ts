import { hostname } from 'node:os';
import type { Pool } from '@weft/db';
import type { Runner, RunSlots } from '@weft/runner';
import { PgBoss } from 'pg-boss';
import { type ActionQueue, createActionQueue } from './action-queue.js';
import { sendRunJobs } from './job-queues.js';
import { createWebhookProcessor, type WebhookProcessor } from './process-webhook.js';
import { WebhookRouterRegistry } from './webhook-router.js';

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

/** What changes while the scheduler runs; only this process's view (every shared fact is in Postgres). */
export interface SchedulerState {
  /** Runs executing in this process (sync runs and webhook handler runs), by run id: heartbeats and stop use it. */
  running: Map<string, AbortController>;
  /**
   * This process's run slots (`concurrency`), taken by the job workers and by runs claimed at
   * once on trigger (dispatchRunNow); set when the workers start.
   */
  slots: RunSlots | undefined;
  /** Claims under way: stop waits for them, so a run claimed as it stops is handed back, not lost. */
  claiming: number;
  /** Runs executing in this process per integration key, for `providerConcurrency`. */
  activeByIntegration: Map<string, number>;
  tickTimer: NodeJS.Timeout | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
  /** Ticks so far (some work runs every n-th tick only). */
  ticks: number;
  /** The tick under way, awaited by stop. */
  ticking: Promise<void> | undefined;
  /** Set by stop: no new ticks, workers stop asking for jobs, a cancelled run is handed back (interrupted). */
  stopped: boolean;
}

/**
 * What the scheduler's functions work with, passed explicitly (built once by `createScheduler`):
 * the options with their defaults applied, the pg-boss instance, the async-action queue, the
 * webhook processor and the mutable `state`.
 */
export interface SchedulerDeps {
  pool: Pool;
  runner: Runner;
  boss: PgBoss;
  role: 'all' | 'worker';
  workerId: string;
  /** Multiplies every frequency, jitter and backoff. */
  scale: number;
  /** Run slots (and webhook notification slots) of this process. */
  concurrency: number;
  /** Concurrent runs per integration in this process; 0 = no cap. */
  providerConcurrency: number;
  tickMs: number;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  /** A claimed webhook notification nobody renewed for this long is handed to another worker. */
  leaseSeconds: number;
  maxAttempts: number;
  retryDelayMs: number;
  shutdownGraceMs: number;
  onError: (error: unknown) => void;
  webhookRouters: WebhookRouterRegistry;
  /** Async actions: pg-boss jobs of the whole fleet, capped by the runner's action slots. */
  asyncActions: ActionQueue;
  webhooks: WebhookProcessor;
  state: SchedulerState;
}

/** Defaults applied once; inner functions trust the result. */
export function resolveSchedulerDeps(options: SchedulerOptions): SchedulerDeps {
  const { pool, runner } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 30_000;
  const leaseSeconds = heartbeatTimeoutMs / 1000;
  const onError = (error: unknown) => options.onError?.(error);
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    useListenNotify: true,
    max: 4,
  } as ConstructorParameters<typeof PgBoss>[0]);
  boss.on('error', onError);
  const state: SchedulerState = {
    running: new Map(),
    slots: undefined,
    claiming: 0,
    activeByIntegration: new Map(),
    tickTimer: undefined,
    heartbeatTimer: undefined,
    ticking: undefined,
    ticks: 0,
    stopped: false,
  };
  const webhookRouters = options.webhookRouters ?? new WebhookRouterRegistry();
  return {
    pool,
    runner,
    boss,
    role: options.role ?? 'all',
    workerId,
    scale: options.timeScale ?? 1,
    concurrency: options.concurrency ?? 4,
    providerConcurrency: options.providerConcurrency ?? 0,
    tickMs: options.tickMs ?? 1_000,
    heartbeatMs: options.heartbeatMs ?? 5_000,
    heartbeatTimeoutMs,
    leaseSeconds,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelayMs: options.retryDelayMs ?? 30_000,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
    onError,
    webhookRouters,
    asyncActions: createActionQueue({ pool, boss, runner, workerId, heartbeatTimeoutMs, onError }),
    // Handler runs are runs of this process: tracked for heartbeats and stop like sync runs.
    webhooks: createWebhookProcessor({
      pool,
      runner,
      routers: webhookRouters,
      workerId,
      leaseSeconds,
      track: (runId, controller) => state.running.set(runId, controller),
      untrack: (runId) => state.running.delete(runId),
      queueRuns: (ids) =>
        sendRunJobs(
          boss,
          ids.map((id) => ({ id })),
        ),
      ...(options.webhookForwards ? { forwards: options.webhookForwards } : {}),
      ...(options.onWebhookLog ? { log: options.onWebhookLog } : {}),
    }),
    state,
  };
}
