import type { ConnectionRowId, Pool } from '@weft/db';
import { connectionRowId } from '@weft/db';
import { RUN_METRICS, SYNC_HEALTH } from './sql/sync-runs-read.js';

/** Health of one sync of a connection: its schedule, last run and the last 24 hours. */
export interface SyncHealth {
  connectionRowId: ConnectionRowId;
  syncName: string;
  state: string;
  /** Null unless the schedule is active. */
  nextRunAt: string | null;
  lastRun: { status: string; startedAt: string | null; endedAt: string | null; error: unknown } | null;
  runs24h: number;
  failures24h: number;
}

// Timestamps stay Postgres text (see @weft/db's pool).
interface HealthRow {
  connection_id: string | number;
  sync_name: string;
  state: string;
  next_run_at: string | null;
  last_status: string | null;
  last_started_at: string | null;
  last_ended_at: string | null;
  last_error: unknown;
  runs_24h: number;
  failures_24h: number;
}

function fromRow(row: HealthRow): SyncHealth {
  return {
    connectionRowId: connectionRowId(row.connection_id),
    syncName: row.sync_name,
    state: row.state,
    nextRunAt: row.next_run_at,
    lastRun:
      row.last_status === null
        ? null
        : {
            status: row.last_status,
            startedAt: row.last_started_at,
            endedAt: row.last_ended_at,
            error: row.last_error,
          },
    runs24h: row.runs_24h,
    failures24h: row.failures_24h,
  };
}

/** Every sync of the given connections, by sync name. */
export async function syncHealth(pool: Pool, connections: ConnectionRowId[]): Promise<SyncHealth[]> {
  if (connections.length === 0) return [];
  const { rows } = await pool.query<HealthRow>(SYNC_HEALTH, [connections]);
  return rows.map(fromRow);
}

/** Sync runs by status and schedules by state, over every environment (GET /metrics). */
export interface RunMetrics {
  runsByStatus: Record<string, number>;
  schedulesByState: Record<string, number>;
}

export async function runMetrics(pool: Pool): Promise<RunMetrics> {
  const { rows } = await pool.query<{ runs: Record<string, number>; schedules: Record<string, number> }>(RUN_METRICS);
  return { runsByStatus: rows[0]?.runs ?? {}, schedulesByState: rows[0]?.schedules ?? {} };
}
