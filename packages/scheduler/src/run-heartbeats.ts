import { retryRun } from './run-outcome.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as webhookSql from './sql/provider-webhooks.js';
import * as sql from './sql.js';

/**
 * Every `heartbeatMs`, this process proves it is alive: `heartbeat_at` of its running runs and the
 * lease of its claimed webhook notifications are renewed (no round trip when it has neither).
 */
export function startRunHeartbeats(
  deps: Pick<SchedulerDeps, 'pool' | 'workerId' | 'heartbeatMs' | 'webhooks' | 'onError' | 'state'>,
): void {
  const { pool, workerId, state } = deps;
  state.heartbeatTimer = setInterval(() => {
    const ids = [...state.running.keys()];
    if (ids.length > 0) pool.query(sql.HEARTBEAT, [ids, workerId]).catch((error: unknown) => deps.onError(error));
    const claims = deps.webhooks.claimed();
    if (claims.length > 0)
      pool.query(webhookSql.RENEW_CLAIMS, [claims, workerId]).catch((error: unknown) => deps.onError(error));
  }, deps.heartbeatMs);
  state.heartbeatTimer.unref();
}

/**
 * Worker-lost recovery: a running run whose heartbeat is older than `heartbeatTimeoutMs` (its
 * process died or hangs) is marked interrupted and retried, adopting the changes it committed.
 */
export async function reapLostRuns(
  deps: Pick<SchedulerDeps, 'pool' | 'boss' | 'maxAttempts' | 'heartbeatTimeoutMs'>,
): Promise<void> {
  const reaped = await deps.pool.query<{ id: string; attempt: number; trigger: string }>(sql.REAP, [
    deps.heartbeatTimeoutMs / 1000,
  ]);
  // A webhook handler run is not retried as a sync run: its notification's claim lapses and the
  // notification is processed again (sweepWebhooks), which runs the handler again.
  for (const run of reaped.rows) if (run.trigger !== 'webhook') await retryRun(deps, run.id, run.attempt, 0, true);
}
