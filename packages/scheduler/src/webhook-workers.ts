import { createQueueOnce, sendWebhookJobs, slotWorkOptions, WEBHOOK_QUEUE } from './job-queues.js';
import { receiveProviderWebhook } from './receive-webhook.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as webhookSql from './sql/provider-webhooks.js';
import type { InboundWebhookRequest } from './webhook-router.js';

/**
 * An inbound provider webhook: a handshake answered at once, or its notifications committed to
 * the inbox and a job sent for each (the reply to the provider comes after this resolves).
 */
export async function receiveWebhook(
  deps: Pick<SchedulerDeps, 'pool' | 'boss' | 'webhookRouters' | 'onError'>,
  request: InboundWebhookRequest,
) {
  const outcome = await receiveProviderWebhook(deps.pool, deps.webhookRouters, request);
  // A lost job is not a lost notification: the row is committed and the sweep finds it.
  if (outcome.kind === 'stored')
    await sendWebhookJobs(deps.boss, outcome.stored).catch((error: unknown) => deps.onError(error));
  return outcome;
}

/**
 * Inbox rows nobody is working on: received ones whose job was lost (the process that stored
 * them died before sending it; `receivedAgeSeconds` 0 at start) and claims older than the lease.
 */
export async function sweepWebhooks(
  deps: Pick<SchedulerDeps, 'pool' | 'boss' | 'leaseSeconds'>,
  receivedAgeSeconds: number,
): Promise<void> {
  for (;;) {
    const { rows } = await deps.pool.query<{ id: string }>(webhookSql.PENDING_NOTIFICATIONS, [
      receivedAgeSeconds,
      deps.leaseSeconds,
      500,
    ]);
    await sendWebhookJobs(
      deps.boss,
      rows.map((r) => r.id),
    );
    if (rows.length < 500) break;
  }
}

/** Workers for stored notifications (as many as run slots: handlers are runs), then the start sweep. */
export async function startWebhookWorkers(deps: SchedulerDeps): Promise<void> {
  const { boss, state } = deps;
  await createQueueOnce(boss, WEBHOOK_QUEUE);
  const slots = deps.concurrency;
  if (slots <= 0) return;
  for (let slot = 0; slot < slots; slot++) {
    let webhookWorker: string | undefined;
    webhookWorker = await boss.work<{ id: string; waits?: number }>(
      WEBHOOK_QUEUE,
      slotWorkOptions(),
      async (jobs: Array<{ data: { id: string; waits?: number } }>) => {
        for (const job of jobs) {
          const result = await deps.webhooks.process(job.data.id).catch((error: unknown) => {
            // The claim stays and lapses after the lease; the sweep hands it to a worker again.
            deps.onError(error);
            return 'failed' as const;
          });
          // A running sync of the same connection: handlers never overlap it, so wait for it to end.
          const waits = job.data.waits ?? 0;
          if (result === 'busy') await sendWebhookJobs(boss, [job.data.id], Math.min(30, 0.25 * 2 ** waits), waits + 1);
        }
        if (webhookWorker !== undefined && !state.stopped) boss.notifyWorker(webhookWorker);
      },
    );
  }
  // Whatever an earlier process accepted and did not process (kill -9 between the two) goes now.
  await sweepWebhooks(deps, 0).catch((error: unknown) => deps.onError(error));
}
