import { withTransaction } from '@weft/db';
import { enqueueSyncEvent, type RunChangeCounts, takeRunChanges } from '@weft/records';
import type { SyncRunMode, SyncRunResult } from '@weft/runner';
import { sendRunJobs } from './job-queues.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';

/** A claimed run as the claim returns it (the connection's keys and last success come with it). */
export interface ClaimedRun {
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

/** A failure's webhook names the sync's models (Nango's `model`); empty when they cannot be read. */
async function syncModels(deps: Pick<SchedulerDeps, 'runner'>, run: ClaimedRun): Promise<string[]> {
  return deps.runner
    .scriptsConfig(run.environment_id, run.provider_config_key ?? '')
    .then((scripts) => {
      const definition = scripts.find((s) => s.kind === 'sync' && s.name === run.sync_name)?.definition;
      return definition?.kind === 'sync' ? Object.keys(definition.models) : [];
    })
    .catch(() => []);
}

/**
 * Records a claimed run's outcome: its committed counts, status, logs and (for a success or a
 * failure) its customer webhook in one transaction, then retries it when it was handed back
 * (interrupted) or failed retryably. A run reaped meanwhile changes nothing: its retry owns the
 * outcome and the counts.
 */
export async function recordRunOutcome(
  deps: Pick<
    SchedulerDeps,
    'pool' | 'runner' | 'boss' | 'workerId' | 'maxAttempts' | 'retryDelayMs' | 'scale' | 'state'
  >,
  run: ClaimedRun,
  result: SyncRunResult,
): Promise<void> {
  const { pool, workerId } = deps;
  const externalId = run.external_id ?? '';
  const providerConfigKey = run.provider_config_key ?? '';
  const lastSuccess = run.last_success ?? undefined;
  const handedBack = result.status === 'cancelled' && deps.state.stopped;
  const status = handedBack ? 'interrupted' : result.status;
  let counts: RunChangeCounts = result.counts;
  // A success's webhook names each changed model instead.
  const models = status === 'failed' ? await syncModels(deps, run) : [];
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
  if (status === 'interrupted') await retryRun(deps, run.id, run.attempt, 0, true);
  else if (status === 'failed' && result.error?.retryable)
    await retryRun(deps, run.id, run.attempt, deps.retryDelayMs * deps.scale * 2 ** (run.attempt - 1));
}

/**
 * Queues the next attempt of a run (while attempts remain) after `delayMs`. `interrupted`: the run
 * died or was handed back, and the next attempt adopts the changes it committed.
 */
export async function retryRun(
  deps: Pick<SchedulerDeps, 'pool' | 'boss' | 'maxAttempts'>,
  runId: string,
  attempt: number,
  delayMs: number,
  interrupted = false,
): Promise<void> {
  const { pool } = deps;
  const { rows } =
    attempt < deps.maxAttempts
      ? await pool.query<{ id: string; run_after: string }>(sql.QUEUE_RETRY, [runId, delayMs / 1000])
      : { rows: [] };
  // Before the job is sent, so the run taking over cannot finish without the adopted changes.
  if (interrupted) await pool.query(sql.ADOPT_INTERRUPTED, [runId]);
  const next = rows[0];
  if (next) await sendRunJobs(deps.boss, [{ id: next.id, afterSeconds: delayMs / 1000 }]);
}
