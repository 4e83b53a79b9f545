/** Typed read models of `scheduler.status()` and `scheduler.runs()` (rows stay inside the scheduler). */

/** A sync of a connection with its schedule and last started run. Timestamps are Postgres text. */
export interface SyncStatus {
  scheduleId: string;
  syncName: string;
  variant: string;
  state: string;
  nextRunAt: string | null;
  frequencySeconds: number;
  frequencyOverrideSeconds: number | null;
  /** The external connection id. */
  connectionId: string;
  providerConfigKey: string;
  /** The last run that was not merely queued, if any. */
  lastRun: {
    id: string;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
    counts: Record<string, { added: number; updated: number; deleted: number }> | null;
    error: unknown;
    attempt: number;
    invalidRecords: unknown;
  } | null;
  /** Runs queued or running now. */
  activeRuns: number;
}

export interface SyncStatusRow {
  id: string | number;
  sync_name: string;
  variant: string;
  state: string;
  next_run_at: string | null;
  frequency_seconds: number;
  frequency_override_seconds: number | null;
  external_id: string;
  provider_config_key: string;
  run_id: string | null;
  run_status: string | null;
  started_at: string | null;
  ended_at: string | null;
  counts: Record<string, { added: number; updated: number; deleted: number }> | null;
  error: unknown;
  attempt: number | null;
  invalid_records: unknown;
  active_runs: number | null;
}

export function syncStatusFromRow(row: SyncStatusRow): SyncStatus {
  return {
    scheduleId: String(row.id),
    syncName: row.sync_name,
    variant: row.variant,
    state: row.state,
    nextRunAt: row.next_run_at,
    frequencySeconds: Number(row.frequency_seconds),
    frequencyOverrideSeconds: row.frequency_override_seconds === null ? null : Number(row.frequency_override_seconds),
    connectionId: row.external_id,
    providerConfigKey: row.provider_config_key,
    lastRun:
      row.run_id === null || row.run_status === null
        ? null
        : {
            id: row.run_id,
            status: row.run_status,
            startedAt: row.started_at,
            endedAt: row.ended_at,
            counts: row.counts,
            error: row.error,
            attempt: row.attempt ?? 1,
            invalidRecords: row.invalid_records,
          },
    activeRuns: Number(row.active_runs ?? 0),
  };
}

/** One sync run as `GET /sync/runs` lists it. */
export interface SyncRun {
  id: string;
  syncName: string;
  variant: string;
  status: string;
  mode: string;
  trigger: string;
  attempt: number;
  workerId: string | null;
  scheduledFor: string | null;
  startedAt: string | null;
  endedAt: string | null;
  counts: unknown;
  error: unknown;
  invalidRecords: unknown;
  /** The external connection id. */
  connectionId: string;
}

export interface SyncRunRow {
  id: string;
  sync_name: string;
  variant: string;
  status: string;
  mode: string;
  trigger: string;
  attempt: number;
  worker_id: string | null;
  scheduled_for: string | null;
  started_at: string | null;
  ended_at: string | null;
  counts: unknown;
  error: unknown;
  invalid_records: unknown;
  external_id: string;
}

export function syncRunFromRow(row: SyncRunRow): SyncRun {
  return {
    id: row.id,
    syncName: row.sync_name,
    variant: row.variant,
    status: row.status,
    mode: row.mode,
    trigger: row.trigger,
    attempt: row.attempt,
    workerId: row.worker_id,
    scheduledFor: row.scheduled_for,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    counts: row.counts,
    error: row.error,
    invalidRecords: row.invalid_records,
    connectionId: row.external_id,
  };
}
