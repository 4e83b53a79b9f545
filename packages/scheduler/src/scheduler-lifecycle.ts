import { RunSlots } from '@weft/runner';
import { dispatchRunJob } from './dispatch-run.js';
import { createQueueOnce, RUN_QUEUE, slotWorkOptions, WEBHOOK_QUEUE } from './job-queues.js';
import { scheduleTick, tick } from './reconcile-tick.js';
import { startRunHeartbeats } from './run-heartbeats.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import { startWebhookWorkers } from './webhook-workers.js';

/**
 * Starts pg-boss, one run worker per slot, the heartbeats, the webhook workers and the async-action
 * queue; on `weft start` (role `all`) also the tick, run once at once.
 */
export async function startScheduler(deps: SchedulerDeps): Promise<void> {
  deps.state.stopped = false;
  await deps.boss.start();
  await createQueueOnce(deps.boss, RUN_QUEUE);
  await startRunWorkers(deps);
  startRunHeartbeats(deps);
  await startWebhookWorkers(deps);
  await deps.asyncActions.start();
  if (deps.role === 'all') {
    // Reconcile and queue at once, so freshly deployed syncs start without waiting a tick.
    await tick(deps).catch((error: unknown) => deps.onError(error));
    scheduleTick(deps);
  }
}

/**
 * One pg-boss worker per slot. pg-boss re-fetches without its poll delay only after a full batch
 * of more than one job; with one run per slot (so a long sync never holds others back) each
 * worker asks for its next job itself, so a backlog drains at run speed instead of ~2 per slot
 * per poll interval.
 */
async function startRunWorkers(deps: SchedulerDeps): Promise<void> {
  const { boss, state } = deps;
  // A worker holding a job waits here while a run claimed on trigger has its slot: the cap holds
  // for both ways a run starts.
  const slots = new RunSlots(deps.concurrency, deps.concurrency);
  state.slots = slots;
  for (let slot = 0; slot < deps.concurrency; slot++) {
    let workerId: string | undefined;
    workerId = await boss.work<{ runId: string }>(
      RUN_QUEUE,
      slotWorkOptions(),
      async (jobs: Array<{ data: { runId: string } }>) => {
        for (const job of jobs) {
          const release = await slots.acquire();
          try {
            await dispatchRunJob(deps, job.data.runId);
          } finally {
            release();
          }
        }
        if (workerId !== undefined && !state.stopped) boss.notifyWorker(workerId);
      },
    );
  }
}

/** Finish running runs within the grace period, hand back the rest (interrupted → retried elsewhere). */
export async function stopScheduler(deps: SchedulerDeps): Promise<void> {
  const { boss, state } = deps;
  state.stopped = true;
  clearTimeout(state.tickTimer);
  await state.ticking;
  await boss.offWork(RUN_QUEUE).catch(() => {});
  await boss.offWork(WEBHOOK_QUEUE).catch(() => {});
  const actionsStopped = deps.asyncActions.stop(deps.shutdownGraceMs);
  const deadline = Date.now() + deps.shutdownGraceMs;
  const busy = () => state.running.size > 0 || state.claiming > 0;
  while (busy() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const controller of state.running.values()) controller.abort();
  while (busy()) await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(state.heartbeatTimer);
  await actionsStopped;
  await boss.stop({ graceful: true, timeout: 5_000 } as Parameters<typeof boss.stop>[0]);
}
