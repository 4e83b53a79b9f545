import type { PgBoss } from 'pg-boss';

/** Sync runs (scheduled, manual, retries, webhook-debounced): one job per `sync_runs` row. */
export const RUN_QUEUE = 'weft-sync-runs';
/** Inbound provider webhooks stored in the inbox, one job per notification (process-webhook.ts). */
export const WEBHOOK_QUEUE = 'weft-provider-webhooks';

/** How each slot's pg-boss worker polls: one job at a time, so a long run never holds others back. */
export function slotWorkOptions(): Parameters<PgBoss['work']>[1] {
  return { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 2 } as Parameters<
    PgBoss['work']
  >[1];
}

/** Creates a queue unless an earlier start (or another process) already did. */
export async function createQueueOnce(boss: PgBoss, name: string): Promise<void> {
  await boss
    .createQueue(name, { notify: true, retryLimit: 0, expireInSeconds: 24 * 3600 } as Parameters<
      PgBoss['createQueue']
    >[1])
    .catch((error: unknown) => {
      if (!/already exists/i.test(String((error as Error).message))) throw error;
    });
}

/**
 * Jobs for runs, optionally after a delay. The delay goes to pg-boss as seconds, which it adds to
 * the database's clock: a Date from this process's clock could make a job due before its run's
 * run_after (set by the database) when the clocks differ, and that run would never be claimed.
 */
export async function sendRunJobs(boss: PgBoss, runs: Array<{ id: string; afterSeconds?: number }>): Promise<void> {
  if (runs.length === 0) return;
  await boss.insert(
    RUN_QUEUE,
    runs.map((r) => ({
      data: { runId: r.id },
      ...(r.afterSeconds !== undefined && r.afterSeconds > 0 ? { startAfter: String(r.afterSeconds) } : {}),
    })),
  );
}

/** `waits`: how often the notification already waited for a busy sync (its next wait doubles, up to 30 s). */
export async function sendWebhookJobs(boss: PgBoss, ids: string[], afterSeconds?: number, waits = 0): Promise<void> {
  if (ids.length === 0) return;
  await boss.insert(
    WEBHOOK_QUEUE,
    ids.map((id) => ({
      data: { id, waits },
      ...(afterSeconds !== undefined ? { startAfter: String(afterSeconds) } : {}),
    })),
  );
}
