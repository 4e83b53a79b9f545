import { randomUUID } from 'node:crypto';
import { isWeftError } from '@weft/core';
import { connectionRowId, type Pool, withTransaction } from '@weft/db';
import { enqueueWebhookEvent } from '@weft/records';
import type { ActionRunRequest, RunLog, Runner } from '@weft/runner';
import type { ActionHeartbeats } from './action-heartbeats.js';
import { type ActionRunOutcome, finishActionRun, recordActionRun, startActionRun } from './action-runs.js';

/** Log lines kept per action run. */
const MAX_LOGS = 500;

export interface ActionLifecycleDeps {
  pool: Pool;
  runner: Runner;
  /** Heartbeats of this process's async runs (a run without one is reaped as lost). */
  heartbeats?: ActionHeartbeats;
}

type ActionStart = Omit<ActionRunRequest, 'onLog' | 'signal'>;

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

/**
 * An `X-Async: true` action run: recorded as running, executed in the background under this
 * process's heartbeat; its outcome and Nango's `async_action` webhook commit together. Answers the
 * run id the caller polls with GET /action/:id.
 */
export async function startAsyncAction(
  deps: ActionLifecycleDeps,
  request: ActionStart,
  onBookkeepingError: (error: unknown) => void,
): Promise<string> {
  const id = randomUUID();
  const logs: RunLog[] = [];
  await startActionRun(deps.pool, {
    id,
    environmentId: request.environmentId,
    connectionRowId: connectionRowId(request.connection.id),
    actionName: request.actionName,
    async: true,
    startedAt: new Date().toISOString(),
  });
  const untrack = deps.heartbeats?.track(id);
  const finish = (outcome: ActionRunOutcome) =>
    withTransaction(deps.pool, async (client) => {
      await finishActionRun(client, id, outcome);
      await enqueueWebhookEvent(client, {
        environmentId: request.environmentId,
        type: 'async_action',
        payload: {
          from: 'nango',
          connectionId: request.connection.connectionId,
          providerConfigKey: request.connection.providerConfigKey,
          payload: { id, statusUrl: `/action/${id}` },
        },
      });
    });
  deps.runner
    .runAction({ ...request, onLog: collect(logs) })
    .finally(() => untrack?.())
    .then(
      (result) => finish({ status: 'success', output: result.output ?? null, logs }),
      (error: unknown) => finish({ status: 'failed', error: errorOf(error), logs }),
    )
    .catch(onBookkeepingError);
  return id;
}
