import { randomUUID } from 'node:crypto';
import { isWeftError } from '@weft/core';
import { connectionRowId, type Pool, withTransaction } from '@weft/db';
import { enqueueWebhookEvent } from '@weft/records';
import type { ActionRunRequest, RunLog, Runner } from '@weft/runner';
import type { ActionHeartbeats } from './action-heartbeats.js';
import {
  type ActionRunOutcome,
  asyncActionEvent,
  finishActionRun,
  recordActionRun,
  startActionRun,
} from './action-runs.js';

/** Log lines kept per action run. */
const MAX_LOGS = 500;

export interface ActionLifecycleDeps {
  pool: Pool;
  runner: Runner;
  /** Heartbeats of this process's async runs (a run without one is reaped as lost). */
  heartbeats?: ActionHeartbeats;
}

/** What a caller asks the runner for (the run's logs, abort signal and slot are the lifecycle's). */
export type ActionStart = Omit<ActionRunRequest, 'onLog' | 'signal' | 'slot'>;

const errorOf = (error: unknown) =>
  isWeftError(error) ? error.toJSON() : { code: 'WEFT_CORE_INTERNAL', message: String(error) };

function collect(logs: RunLog[]) {
  return (entry: RunLog) => {
    if (logs.length < MAX_LOGS) logs.push(entry);
  };
}

/**
 * A synchronous action run: executed now, recorded once when it ends (the operation log shows it;
 * GET /action/:id does not). Answers the action's output or throws its error.
 */
export async function runActionNow(
  deps: ActionLifecycleDeps,
  request: ActionStart,
  onBookkeepingError: (error: unknown) => void,
): Promise<unknown> {
  const logs: RunLog[] = [];
  const run = {
    id: randomUUID(),
    environmentId: request.environmentId,
    connectionRowId: connectionRowId(request.connection.id),
    actionName: request.actionName,
    startedAt: new Date().toISOString(),
  };
  const record = (outcome: Parameters<typeof recordActionRun>[2]) =>
    recordActionRun(deps.pool, run, outcome).catch(onBookkeepingError);
  try {
    const result = await deps.runner.runAction({ ...request, onLog: collect(logs) });
    await record({ status: 'success', logs });
    return result.output ?? null;
  } catch (error) {
    await record({ status: 'failed', error: errorOf(error), logs });
    throw error;
  }
}

/** An async run as its pg-boss job carries it: the run id and what the runner needs. */
export interface AsyncActionJob extends ActionStart {
  runId: string;
}

/**
 * The fleet's queue of async runs (action-queue.ts): takes the run (here or into the queue) and
 * answers its id, or answers undefined while it is not working (before start, after stop), when
 * the run is executed by the caller's process as before.
 */
export interface AsyncActionAcceptor {
  accept(request: ActionStart): Promise<string | undefined>;
}

/**
 * Executes an async run already recorded as running by this process, under `heartbeats`; its
 * outcome and Nango's `async_action` webhook commit together. Resolves once the outcome is
 * recorded (bookkeeping failures go to `onBookkeepingError`; the reaper then ends the run).
 */
export async function executeAsyncAction(
  deps: ActionLifecycleDeps,
  job: AsyncActionJob,
  onBookkeepingError: (error: unknown) => void,
  run: { slot?: () => void; signal?: AbortSignal } = {},
): Promise<void> {
  const { runId: id, ...request } = job;
  const logs: RunLog[] = [];
  const untrack = deps.heartbeats?.track(id);
  const finish = (outcome: ActionRunOutcome) =>
    withTransaction(deps.pool, async (client) => {
      await finishActionRun(client, id, outcome);
      await enqueueWebhookEvent(
        client,
        asyncActionEvent(request.environmentId, {
          id,
          connectionId: request.connection.connectionId,
          providerConfigKey: request.connection.providerConfigKey,
        }),
      );
    });
  await deps.runner
    .runAction({
      ...request,
      onLog: collect(logs),
      ...(run.slot ? { slot: run.slot } : {}),
      ...(run.signal ? { signal: run.signal } : {}),
    })
    .finally(() => untrack?.())
    .then(
      (result) => finish({ status: 'success', output: result.output ?? null, logs }),
      (error: unknown) => finish({ status: 'failed', error: errorOf(error), logs }),
    )
    .catch(onBookkeepingError);
}

/**
 * An `X-Async: true` action run. With the fleet's queue (`deps.queue`, the scheduler's) it is a
 * pg-boss job any process with a free action slot runs; without one (a process with no scheduler,
 * or before it started) it is recorded as running and executed in the background here, under this
 * process's heartbeat. Answers the run id the caller polls with GET /action/:id.
 */
export async function startAsyncAction(
  deps: ActionLifecycleDeps & { queue?: AsyncActionAcceptor },
  request: ActionStart,
  onBookkeepingError: (error: unknown) => void,
): Promise<string> {
  const queued = await deps.queue?.accept(request);
  if (queued !== undefined) return queued;
  const id = randomUUID();
  await startActionRun(deps.pool, {
    id,
    environmentId: request.environmentId,
    connectionRowId: connectionRowId(request.connection.id),
    actionName: request.actionName,
    async: true,
    startedAt: new Date().toISOString(),
  });
  void executeAsyncAction(deps, { ...request, runId: id }, onBookkeepingError);
  return id;
}
