import type { Pool } from '@weft/db';
import { recordsErrors } from './errors.js';
import { WEBHOOK_CHANNEL } from './webhook-outbox.js';

export type DeliveryState = 'pending' | 'delivered' | 'exhausted';

export interface DeliveryAttempt {
  attempt: number;
  attemptedAt: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface Delivery {
  id: number;
  eventId: string;
  eventType: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  replayOf: number | null;
  createdAt: string;
  log: DeliveryAttempt[];
}

interface Row {
  id: number;
  event_id: string;
  type: string;
  url: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  replay_of: number | null;
  created_at: string;
  log: Array<{
    attempt: number;
    attempted_at: string;
    status: number | null;
    error: string | null;
    duration_ms: number;
  }>;
}

const SELECT = `
SELECT d.id, d.event_id, e.type, d.url, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
       d.delivered_at, d.replay_of, d.created_at,
       coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'attempted_at', a.attempted_at,
                   'status', a.status, 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.attempt)
                 FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id), '[]') AS log
FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id`;

function toDelivery(row: Row): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.type,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    replayOf: row.replay_of,
    createdAt: row.created_at,
    log: row.log.map((a) => ({
      attempt: a.attempt,
      attemptedAt: a.attempted_at,
      status: a.status,
      error: a.error,
      durationMs: a.duration_ms,
    })),
  };
}

/** Newest first; page with `beforeId` (the last id of the previous page). */
export async function listDeliveries(
  pool: Pool,
  environmentId: number,
  filter: { eventId?: string; state?: DeliveryState; limit?: number; beforeId?: number } = {},
): Promise<Delivery[]> {
  const { rows } = await pool.query<Row>(
    `${SELECT}
     WHERE d.environment_id = $1 AND ($2::uuid IS NULL OR d.event_id = $2::uuid)
       AND ($3::text IS NULL OR d.state = $3) AND ($4::bigint IS NULL OR d.id < $4)
     ORDER BY d.id DESC LIMIT $5`,
    [environmentId, filter.eventId ?? null, filter.state ?? null, filter.beforeId ?? null, filter.limit ?? 50],
  );
  return rows.map(toDelivery);
}

export async function getDelivery(pool: Pool, environmentId: number, id: number): Promise<Delivery> {
  const { rows } = await pool.query<Row>(`${SELECT} WHERE d.environment_id = $1 AND d.id = $2`, [environmentId, id]);
  const row = rows[0];
  if (row === undefined) throw recordsErrors.create('WEFT_WEBHOOK_DELIVERY_NOT_FOUND', { id });
  return toDelivery(row);
}

/**
 * Send an event again (same event id and body, fresh signature): a new pending delivery to the
 * same URL, linked to the original. Works for delivered and exhausted deliveries alike.
 */
export async function replayDelivery(pool: Pool, environmentId: number, id: number): Promise<Delivery> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO webhook_deliveries (event_id, environment_id, url, replay_of)
     SELECT event_id, environment_id, url, id FROM webhook_deliveries WHERE environment_id = $1 AND id = $2
     RETURNING id`,
    [environmentId, id],
  );
  const created = rows[0];
  if (created === undefined) throw recordsErrors.create('WEFT_WEBHOOK_DELIVERY_NOT_FOUND', { id });
  await pool.query(`NOTIFY ${WEBHOOK_CHANNEL}`);
  return getDelivery(pool, environmentId, created.id);
}
