import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';
import { type SyncSelector, selectSchedules } from './sync-selector.js';
import {
  type SyncRun,
  type SyncRunRow,
  type SyncStatus,
  type SyncStatusRow,
  syncRunFromRow,
  syncStatusFromRow,
} from './sync-status.js';

/** Each selected sync's state, schedule and latest run (Nango's GET /sync/status); refuses an unknown selection. */
export async function syncStatuses(deps: Pick<SchedulerDeps, 'pool'>, selector: SyncSelector): Promise<SyncStatus[]> {
  await selectSchedules(deps, selector);
  const { rows } = await deps.pool.query<SyncStatusRow>(sql.STATUS, [
    selector.environmentId,
    selector.providerConfigKey,
    selector.syncs && selector.syncs.length > 0 ? selector.syncs : null,
    selector.connectionId ?? null,
  ]);
  return rows.map(syncStatusFromRow);
}

/** What the run history is filtered by; `connectionId` is the external one. */
export interface SyncRunsSelector {
  environmentId: number;
  providerConfigKey: string;
  syncName?: string;
  connectionId?: string;
  limit?: number;
}

/** The latest runs of an integration's syncs, newest first (at most `limit`, 50 by default). */
export async function syncRuns(deps: Pick<SchedulerDeps, 'pool'>, selector: SyncRunsSelector): Promise<SyncRun[]> {
  const { rows } = await deps.pool.query<SyncRunRow>(sql.RUNS, [
    selector.environmentId,
    selector.providerConfigKey,
    selector.syncName ?? null,
    selector.connectionId ?? null,
    selector.limit ?? 50,
  ]);
  return rows.map(syncRunFromRow);
}
