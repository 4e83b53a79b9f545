import type { Pool } from '@weft/db';
import { pruneRunRollups } from '@weft/scheduler';
import * as sql from './sql.js';

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
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const drain = async (statement: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rowCount } = await pool.query(statement, [cutoff, SLICE]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < SLICE) return total;
    }
  };
  pruned.syncRuns = await drain(sql.PRUNE_SYNC_RUNS);
  // The dashboard's hourly rollups go with the runs they counted (read from what is left instead).
  await pruneRunRollups(pool, new Date(cutoff));
  // Event-script runs are counted with the action runs they resemble.
  pruned.actionRuns = (await drain(sql.PRUNE_ACTION_RUNS)) + (await drain(sql.PRUNE_ON_EVENT_RUNS));
  pruned.proxyRequests = await drain(sql.PRUNE_PROXY_REQUESTS);
  pruned.webhookEvents = await drain(sql.PRUNE_WEBHOOK_EVENTS);
  return pruned;
}
