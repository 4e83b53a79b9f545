import { schedulerErrors } from './errors.js';
import type { SchedulerDeps } from './scheduler-deps.js';
import * as sql from './sql.js';

/** Which schedules a manual call or a status read is about: an integration's syncs, optionally narrowed. */
export interface SyncSelector {
  environmentId: number;
  providerConfigKey: string;
  syncs?: string[];
  /** The external connection id (Nango's connectionId). */
  connectionId?: string;
}

/** The schedules a selector matches; WEFT_SCHEDULER_SYNC_NOT_FOUND when it matches nothing or misses a named sync. */
export async function selectSchedules(deps: Pick<SchedulerDeps, 'pool'>, selector: SyncSelector) {
  const { rows } = await deps.pool.query<{
    id: number;
    connection_id: number;
    sync_name: string;
    variant: string;
    state: string;
    external_id: string;
  }>(sql.SCHEDULES_FOR, [
    selector.environmentId,
    selector.providerConfigKey,
    selector.syncs && selector.syncs.length > 0 ? selector.syncs : null,
    selector.connectionId ?? null,
  ]);
  refuseMissing(selector, rows);
  return rows;
}

/** WEFT_SCHEDULER_SYNC_NOT_FOUND when the selector matched nothing or a named sync is missing. */
export function refuseMissing(selector: SyncSelector, rows: Array<{ sync_name: string }>): void {
  const missing = (selector.syncs ?? []).filter((name) => !rows.some((r) => r.sync_name === name));
  if (rows.length === 0 || missing.length > 0) {
    throw schedulerErrors.create('WEFT_SCHEDULER_SYNC_NOT_FOUND', {
      syncs: (missing.length > 0 ? missing : (selector.syncs ?? ['(any)'])).join(', '),
      providerConfigKey: selector.providerConfigKey,
      connection: selector.connectionId ? ` and connection ${selector.connectionId}` : '',
    });
  }
}
