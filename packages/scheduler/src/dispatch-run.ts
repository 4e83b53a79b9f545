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
 * Claims the run (one statement: the unique index allows one running run per connection+sync, and
 * the claim returns the connection's keys and last success), runs it in the sandbox, and records
 * its outcome. This is on trigger → script start (issue 21's bench): the claim is the only round
 * trip between the job and `runSync` (plus the integration-key read when `providerConcurrency` is set).
 */
async function claimAndRun(deps: SchedulerDeps, runId: string): Promise<void> {
  const { pool, runner } = deps;
  let claimed: ClaimedRun | undefined;
  try {
    const { rows } = await pool.query<ClaimedRun>(sql.CLAIM_RUN, [runId, deps.workerId]);
    claimed = rows[0];
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
    const { rows } = await pool.query<{ wait_seconds: number }>(sql.QUEUED_WAIT, [runId]);
    const early = rows[0];
    if (early !== undefined)
      await sendRunJobs(deps.boss, [{ id: runId, afterSeconds: Math.max(0.05, early.wait_seconds) }]);
    return;
  }
  const run = claimed;
  const controller = new AbortController();
  deps.state.running.set(run.id, controller);
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
