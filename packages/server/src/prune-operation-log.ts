import type { Pool } from '@weft/db';
import { pruneProxyRequestsSlice } from '@weft/proxy';
import { pruneWebhookEventsSlice } from '@weft/records';
import { pruneOnEventRunsSlice } from '@weft/runner';
import { pruneActionRunsSlice, pruneMaintenanceRuns, pruneRunRollups, pruneSyncRunsSlice } from '@weft/scheduler';

const SLICE = 5_000;

export interface OperationLogPruned {
  syncRuns: number;
  actionRuns: number;
  proxyRequests: number;
  webhookEvents: number;
}

/**
 * One retention pass over the operation log (`WEFT_LOGS_RETENTION_DAYS`): finished sync and action
 * runs, proxy request lines and webhook events with their deliveries older than `days` go. Records
 * are not touched (their retention is separate); `days = 0` keeps everything.
 */
export async function pruneOperationLog(pool: Pool, days: number, now = new Date()): Promise<OperationLogPruned> {
  const pruned: OperationLogPruned = { syncRuns: 0, actionRuns: 0, proxyRequests: 0, webhookEvents: 0 };
  if (days <= 0) return pruned;
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  // Each owner deletes its own rows, one slice at a time.
  const drain = async (slice: (pool: Pool, cutoff: Date, slice: number) => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      const deleted = await slice(pool, cutoff, SLICE);
      total += deleted;
      if (deleted < SLICE) return total;
    }
  };
  pruned.syncRuns = await drain(pruneSyncRunsSlice);
  // The dashboard's hourly rollups go with the runs they counted (read from what is left instead).
  await pruneRunRollups(pool, cutoff);
  // Event-script runs are counted with the action runs they resemble.
  pruned.actionRuns = (await drain(pruneActionRunsSlice)) + (await drain(pruneOnEventRunsSlice));
  pruned.proxyRequests = await drain(pruneProxyRequestsSlice);
  pruned.webhookEvents = await drain(pruneWebhookEventsSlice);
  // The record of maintenance executions goes with the log it maintains.
  await pruneMaintenanceRuns(pool, cutoff);
  return pruned;
}
