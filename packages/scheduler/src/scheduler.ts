import type { SyncRunMode } from '@weft/runner';
import type { AsyncActionAcceptor } from './action-lifecycle.js';
import { pauseSyncs, resumeSyncs, triggerSyncs, updateFrequency } from './manual-control.js';
import { tick } from './reconcile-tick.js';
import { resolveSchedulerDeps, type SchedulerDeps, type SchedulerOptions } from './scheduler-deps.js';
import { startScheduler, stopScheduler } from './scheduler-lifecycle.js';
import type { SyncSelector } from './sync-selector.js';
import { type SyncRunsSelector, syncRuns, syncStatuses } from './sync-status-reads.js';
import type { InboundWebhookRequest } from './webhook-router.js';
import { receiveWebhook } from './webhook-workers.js';

export type { SchedulerOptions } from './scheduler-deps.js';
export type { SyncSelector } from './sync-selector.js';

export type Scheduler = ReturnType<typeof createScheduler>;

/**
 * Background syncs on pg-boss: schedules live in Postgres (no per-schedule state in memory),
 * due ones become `sync_runs` rows plus a pg-boss job each; workers claim a run (one running
 * per connection+sync is a unique index), execute it in the sandbox with heartbeats, and
 * record the outcome with its webhook event in one transaction. A run whose worker died is
 * found by its stale heartbeat, marked interrupted and retried from its checkpoint.
 *
 * This only resolves the options once into `SchedulerDeps` and returns the public object; each
 * method is a module-level function taking the deps (see ARCHITECTURE.md, "Scheduler: where each
 * step lives").
 */
export function createScheduler(options: SchedulerOptions) {
  const deps: SchedulerDeps = resolveSchedulerDeps(options);

  return {
    workerId: deps.workerId,

    /** Where `X-Async: true` actions go (startAsyncAction's `queue`): run here, or queued for the fleet. */
    asyncActions: { accept: deps.asyncActions.accept } satisfies AsyncActionAcceptor,

    /** The routers inbound webhooks use (h19b registers Microsoft Graph's here). */
    webhookRouters: deps.webhookRouters,

    /**
     * An inbound provider webhook: a handshake answered at once, or its notifications committed to
     * the inbox and a job sent for each (the reply to the provider comes after this resolves).
     */
    receiveWebhook: (request: InboundWebhookRequest) => receiveWebhook(deps, request),

    start: (): Promise<void> => startScheduler(deps),

    /** Finish running runs within the grace period, hand back the rest (interrupted → retried elsewhere). */
    stop: (): Promise<void> => stopScheduler(deps),

    /** Run now (coalesces with a run already queued). `full` clears the checkpoint first. */
    trigger: (selector: SyncSelector, mode: SyncRunMode = 'incremental'): Promise<string[]> =>
      triggerSyncs(deps, selector, mode),

    pause: (selector: SyncSelector): Promise<number> => pauseSyncs(deps, selector),

    resume: (selector: SyncSelector): Promise<number> => resumeSyncs(deps, selector),

    updateFrequency: (selector: SyncSelector & { connectionId: string }, frequency: string | null) =>
      updateFrequency(deps, selector, frequency),

    status: (selector: SyncSelector) => syncStatuses(deps, selector),

    runs: (selector: SyncRunsSelector) => syncRuns(deps, selector),

    /** Reconcile and queue now (after a deploy or new connections) instead of at the next tick. */
    tickNow: () => (deps.role === 'all' ? tick(deps) : Promise.resolve()),
  };
}
