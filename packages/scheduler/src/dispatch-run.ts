import { connectionRowId } from '@weft/db';
import type { SyncRunResult } from '@weft/runner';
import { failedRunResult } from './failed-run-result.js';
import { sendRunJobs } from './job-queues.js';
import { type ClaimedRun, recordRunOutcome } from './run-outcome.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';

/**
 * A run's job, taken by one of this process's slots: within the per-integration cap
 * (`providerConcurrency`) it is claimed and run, else its job comes back a second later.
 */
export async function dispatchRunJob(deps: SchedulerDeps, runId: string): Promise<void> {
  const { activeByIntegration } = deps.state;
  const cap = deps.providerConcurrency;
  let integrationKey: string | undefined;
  if (cap > 0) {
    const { rows } = await deps.pool.query<{ key: string }>(sql.RUN_INTEGRATION_KEY, [runId]);
    integrationKey = rows[0]?.key;
    if (integrationKey !== undefined && (activeByIntegration.get(integrationKey) ?? 0) >= cap) {
      await sendRunJobs(deps.boss, [{ id: runId, afterSeconds: 1 }]);
      return;
    }
    if (integrationKey !== undefined)
      activeByIntegration.set(integrationKey, (activeByIntegration.get(integrationKey) ?? 0) + 1);
  }
  try {
    await claimAndRun(deps, runId);
  } finally {
    if (integrationKey !== undefined)
      activeByIntegration.set(integrationKey, (activeByIntegration.get(integrationKey) ?? 1) - 1);
  }
}

/**
 * Trigger → script start without the job queue in between: a run this process has just queued is
 * claimed here at once when one of its slots is free, instead of after its job's insert, NOTIFY
 * and fetch (two round trips and a wake-up: most of the tail of trigger → start). Resolves once
 * the claim is settled: true when the run is now this process's (it needs no job: it is `running`
 * with heartbeats, so a crash leaves it to the reaper, which retries it), false when the caller
 * must send its job as usual (no free slot, another run of the sync running, not yet due). The
 * claim is the one conditional update every path uses, so a run is still claimed exactly once.
 * With `providerConcurrency` set, runs keep going through their job (the cap's bookkeeping is there).
 */
export async function dispatchRunNow(deps: SchedulerDeps, runId: string): Promise<boolean> {
  const { state } = deps;
  if (state.stopped || deps.providerConcurrency > 0) return false;
  const release = state.slots?.tryAcquire();
  if (release === undefined) return false;
  let claimed: ClaimedRun | undefined;
  try {
    claimed = await claimRun(deps, runId);
  } catch (error) {
    // 23505: another run of this connection+sync is running; its job waits for that one.
    if ((error as { code?: string }).code !== '23505') deps.onError(error);
  }
  if (claimed === undefined) {
    release();
    return false;
  }
  runClaimed(deps, claimed)
    .catch((error: unknown) => deps.onError(error))
    .finally(release);
  return true;
}

/** The claim (stop waits for claims under way, so a run claimed as it stops is handed back). */
async function claimRun(deps: SchedulerDeps, runId: string): Promise<ClaimedRun | undefined> {
  deps.state.claiming += 1;
  try {
    const { rows } = await deps.pool.query<ClaimedRun>(sql.CLAIM_RUN, [runId, deps.workerId]);
    return rows[0];
  } finally {
    deps.state.claiming -= 1;
  }
}

/**
 * Claims the run (one statement: the unique index allows one running run per connection+sync, and
 * the claim returns the connection's keys and last success), runs it in the sandbox, and records
 * its outcome. The claim is the only round trip between the job and `runSync` (plus the
 * integration-key read when `providerConcurrency` is set).
 */
async function claimAndRun(deps: SchedulerDeps, runId: string): Promise<void> {
  let claimed: ClaimedRun | undefined;
  try {
    claimed = await claimRun(deps, runId);
  } catch (error) {
    // 23505: another run of this connection+sync is running; try again shortly (never overlap).
    if ((error as { code?: string }).code === '23505') {
      await sendRunJobs(deps.boss, [{ id: runId, afterSeconds: 0.5 }]);
      return;
    }
    throw error;
  }
  if (claimed === undefined) {
    // Cancelled, or claimed elsewhere (a duplicate delivery) — or delivered before its run_after,
    // which must not strand it: a queued run nobody will claim blocks every later run of the sync.
    const { rows } = await deps.pool.query<{ wait_seconds: number }>(sql.QUEUED_WAIT, [runId]);
    const early = rows[0];
    if (early !== undefined)
      await sendRunJobs(deps.boss, [{ id: runId, afterSeconds: Math.max(0.05, early.wait_seconds) }]);
    return;
  }
  await runClaimed(deps, claimed);
}

/** Runs a claimed run in the sandbox and records its outcome. */
async function runClaimed(deps: SchedulerDeps, run: ClaimedRun): Promise<void> {
  const { runner } = deps;
  const controller = new AbortController();
  deps.state.running.set(run.id, controller);
  // Claimed while the scheduler stopped: handed back at once (interrupted, retried elsewhere).
  if (deps.state.stopped) controller.abort();
  let result: SyncRunResult;
  try {
    const lastSuccess = run.last_success ?? undefined;
    result = await runner.runSync({
      runId: run.id,
      environmentId: run.environment_id,
      connection: {
        id: connectionRowId(run.connection_id),
        providerConfigKey: run.provider_config_key ?? '',
        connectionId: run.external_id ?? '',
      },
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
    deps.state.running.delete(run.id);
  }
  await recordRunOutcome(deps, run, result);
}
