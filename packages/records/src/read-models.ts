import {
  type ConnectionRowId,
  connectionRowId,
  type OperationEntry,
  type OperationQuery,
  type Pool,
  queryOperations,
} from '@weft/db';
import * as sql from './sql/read-models.js';

/** Webhook deliveries and auth events as operation-log lines. */
export function listWebhookOperations(pool: Pool, q: OperationQuery): Promise<OperationEntry[]> {
  return queryOperations(pool, sql.WEBHOOK_OPERATIONS, q);
}

/** Deletes one slice of webhook events (with their finished deliveries) created before `cutoff`; returns how many. */
export async function pruneWebhookEventsSlice(pool: Pool, cutoff: Date, slice: number): Promise<number> {
  const { rowCount } = await pool.query(sql.PRUNE_WEBHOOK_EVENTS, [cutoff.toISOString(), slice]);
  return rowCount ?? 0;
}

/** Live records of one model of one connection. */
export interface LiveRecordCount {
  connectionRowId: ConnectionRowId;
  model: string;
  count: number;
}

/** Live (not deleted) records per model of the given connections (Nango's `recordCount`). */
export async function countLiveRecords(pool: Pool, connections: ConnectionRowId[]): Promise<LiveRecordCount[]> {
  if (connections.length === 0) return [];
  const { rows } = await pool.query<{ connection_id: string | number; model: string; count: number }>(
    sql.LIVE_RECORD_COUNTS,
    [connections],
  );
  return rows.map((r) => ({ connectionRowId: connectionRowId(r.connection_id), model: r.model, count: r.count }));
}

/** GET /metrics: webhook deliveries by state and stored records (planner estimate). */
export interface RecordsMetrics {
  deliveriesByState: Record<string, number>;
  recordsEstimate: number;
}

export async function recordsMetrics(pool: Pool): Promise<RecordsMetrics> {
  const { rows } = await pool.query<{ deliveries: Record<string, number>; records_estimate: string | number }>(
    sql.RECORDS_METRICS,
  );
  return { deliveriesByState: rows[0]?.deliveries ?? {}, recordsEstimate: Number(rows[0]?.records_estimate ?? 0) };
}

/** A webhook delivery that gave up after its attempts (alerts). */
export interface ExhaustedDelivery {
  id: number;
  environmentId: number;
  eventId: string;
  url: string;
  attempts: number;
  lastError: string | null;
}

export async function exhaustedDeliveries(pool: Pool): Promise<ExhaustedDelivery[]> {
  const { rows } = await pool.query<{
    id: string | number;
    environment_id: number;
    event_id: string;
    url: string;
    attempts: number;
    last_error: string | null;
  }>(sql.EXHAUSTED_DELIVERIES);
  return rows.map((r) => ({
    id: Number(r.id),
    environmentId: r.environment_id,
    eventId: r.event_id,
    url: r.url,
    attempts: r.attempts,
    lastError: r.last_error,
  }));
}
