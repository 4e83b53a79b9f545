import { RUN_QUEUE, sendRunJobs } from './job-queues.js';
import { reapLostRuns } from './run-heartbeats.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';
import { sweepWebhooks } from './webhook-workers.js';

/**
 * One tick of `weft start` (role `all`): schedules reconciled with (connections × deployed syncs),
 * due ones queued as runs with their jobs, lost runs reaped and retried, queued runs whose job
 * was lost sent one again, forgotten webhook notifications handed to a worker again.
 */
export async function tick(deps: SchedulerDeps): Promise<void> {
  const { pool, scale } = deps;
  await pool.query(sql.RECONCILE_SCHEDULES, [scale]);
  await pool.query(sql.DELETE_ORPHAN_SCHEDULES);
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(sql.QUEUE_DUE, [500, scale]);
    await sendRunJobs(deps.boss, rows);
    if (rows.length < 500) break;
  }
  await reapLostRuns(deps);
  // Every 30th tick (30 s by default): in a backlog the check reads the run queue's pending jobs.
  if (deps.state.ticks++ % 30 === 0) await requeueOrphanedRuns(deps, Math.max(30, deps.leaseSeconds));
  await sweepWebhooks(deps, Math.max(30, deps.leaseSeconds));
}

/** Sends a job again to each queued run whose job was lost (sql.ORPHANED_QUEUED_RUNS says how). */
export async function requeueOrphanedRuns(
  deps: Pick<SchedulerDeps, 'pool' | 'boss'>,
  graceSeconds: number,
): Promise<void> {
  for (;;) {
    const { rows } = await deps.pool.query<{ id: string }>(sql.ORPHANED_QUEUED_RUNS, [graceSeconds, RUN_QUEUE, 500]);
    await sendRunJobs(deps.boss, rows);
    if (rows.length < 500) break;
  }
}

/** The next tick `tickMs` after the last one ended (ticks never overlap); none once stopped or on a worker. */
export function scheduleTick(deps: SchedulerDeps): void {
  const { state } = deps;
  if (state.stopped || deps.role !== 'all') return;
  state.tickTimer = setTimeout(() => {
    state.ticking = tick(deps)
      .catch((error: unknown) => deps.onError(error))
      .finally(() => {
        state.ticking = undefined;
        scheduleTick(deps);
      });
  }, deps.tickMs);
  state.tickTimer.unref();
}
