import { parseFrequency, type SyncRunMode } from '@weft/runner';
import { dispatchRunNow } from './dispatch-run.js';
import { schedulerErrors } from './errors.js';
import { sendRunJobs } from './job-queues.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';
import { refuseMissing, type SyncSelector, selectSchedules } from './sync-selector.js';

/**
 * Run now (coalesces with a run already queued). `full` clears the checkpoint first. Selecting and
 * queueing is one statement (trigger → script start), then each run is claimed here when a slot
 * is free, and one insert sends the jobs of the others.
 */
export async function triggerSyncs(deps: SchedulerDeps, selector: SyncSelector, mode: SyncRunMode): Promise<string[]> {
  // Select and queue in one statement; it queues nothing when it finds a paused or missing sync.
  const { rows: schedules } = await deps.pool.query<{
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
  // Started here at once when a slot is free; a job only for the runs this process did not claim.
  const claimedHere = await Promise.all(queued.map((id) => dispatchRunNow(deps, id)));
  await sendRunJobs(
    deps.boss,
    queued.filter((_, i) => !claimedHere[i]).map((id) => ({ id })),
  );
  return queued;
}

/** Pauses the selected schedules and cancels their queued runs; answers how many were selected. */
export async function pauseSyncs(deps: Pick<SchedulerDeps, 'pool'>, selector: SyncSelector): Promise<number> {
  const ids = (await selectSchedules(deps, selector)).map((s) => s.id);
  await deps.pool.query(sql.PAUSE_SCHEDULES, [ids]);
  await deps.pool.query(sql.CANCEL_QUEUED_RUNS_OF_SCHEDULES, [ids]);
  return ids.length;
}

/** Resumes the selected paused schedules, due now at the latest; answers how many were selected. */
export async function resumeSyncs(deps: Pick<SchedulerDeps, 'pool'>, selector: SyncSelector): Promise<number> {
  const ids = (await selectSchedules(deps, selector)).map((s) => s.id);
  await deps.pool.query(sql.RESUME_SCHEDULES, [ids]);
  return ids.length;
}

/** A connection's own frequency for the selected syncs (null = the deployed one); answers it in seconds. */
export async function updateFrequency(
  deps: Pick<SchedulerDeps, 'pool' | 'scale'>,
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
  const ids = (await selectSchedules(deps, selector)).map((s) => s.id);
  await deps.pool.query(sql.OVERRIDE_FREQUENCY, [ids, seconds, deps.scale]);
  return seconds;
}
