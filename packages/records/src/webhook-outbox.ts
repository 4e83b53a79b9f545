import { createHash, randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from '@weft/db';

export const WEBHOOK_CHANNEL = 'weft_webhooks';

export interface WebhookEventInput {
  environmentId: number;
  /** `sync`, `auth`, `async_action`, … (the `type` field of the body). */
  type: string;
  /** Top-level fields of the body besides `type` and `eventId`. */
  payload: Record<string, unknown>;
  /** Reuse an id (e.g. derived from a run id) so a retried caller cannot enqueue the event twice. */
  id?: string;
}

/**
 * Write an event and one pending delivery per configured URL, in the caller's transaction: the
 * event commits (or rolls back) together with the change it reports. A NOTIFY wakes delivery
 * workers at commit. Returns the event id (sent as `eventId` and `Weft-Event-Id`).
 */
export async function enqueueWebhookEvent(client: PoolClient | Pool, event: WebhookEventInput): Promise<string> {
  const id = event.id ?? randomUUID();
  const inserted = await client.query(
    `INSERT INTO webhook_events (id, environment_id, type, payload) VALUES ($1, $2, $3, $4)
     ON CONFLICT (id) DO NOTHING`,
    [id, event.environmentId, event.type, JSON.stringify(event.payload)],
  );
  if (inserted.rowCount === 0) return id;
  await client.query(
    `INSERT INTO webhook_deliveries (event_id, environment_id, url)
     SELECT $1, $2, url FROM webhook_settings s,
       LATERAL (VALUES (s.primary_url), (s.secondary_url)) AS urls (url)
     WHERE s.environment_id = $2 AND url IS NOT NULL`,
    [id, event.environmentId],
  );
  await client.query(`NOTIFY ${WEBHOOK_CHANNEL}`);
  return id;
}

export interface SyncEventInput {
  environmentId: number;
  connectionId: string;
  providerConfigKey: string;
  syncName: string;
  syncType: 'INCREMENTAL' | 'INITIAL' | 'FULL';
  runId: string;
  startedAt: string;
  finishedAt: string;
  success: boolean;
  /** Per model, for successful runs. */
  counts?: Record<string, { added: number; updated: number; deleted: number }>;
  error?: { code: string; message: string };
  /** lastSyncDate the run started from (consumers fetch records modified after it). */
  modifiedAfter?: string | null;
  /** Records stored although they do not match their model (policy `warn`): count and the first ones. */
  invalidRecords?: { count: number; records: Array<{ model: string; recordId: string; path: string; reason: string }> };
}

/**
 * One event per sync run: per-model counts on success, the error on failure. A successful run
 * that changed nothing sends no event unless the environment enabled `send_empty_sync_events`.
 * Returns the event id, or null when skipped. The event id is derived from the run, so calling
 * this twice for one run sends one event.
 */
export async function enqueueSyncEvent(client: PoolClient | Pool, input: SyncEventInput): Promise<string | null> {
  const counts = input.counts ?? {};
  const changed = Object.values(counts).some((c) => c.added + c.updated + c.deleted > 0);
  if (input.success && !changed) {
    const { rows } = await client.query<{ send: boolean }>(
      'SELECT send_empty_sync_events AS send FROM webhook_settings WHERE environment_id = $1',
      [input.environmentId],
    );
    if (rows[0]?.send !== true) return null;
  }
  const models = Object.keys(counts);
  return enqueueWebhookEvent(client, {
    environmentId: input.environmentId,
    type: 'sync',
    id: runEventId(input.runId),
    payload: {
      from: 'weft',
      connectionId: input.connectionId,
      providerConfigKey: input.providerConfigKey,
      syncName: input.syncName,
      syncType: input.syncType,
      runId: input.runId,
      success: input.success,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      modifiedAfter: input.modifiedAfter ?? null,
      // Nango sends `model` + `responseResults` for one model; keep them for single-model syncs.
      ...(models.length === 1 && models[0] !== undefined
        ? { model: models[0], responseResults: counts[models[0]] }
        : {}),
      models: counts,
      ...(input.error ? { error: input.error } : {}),
      ...(input.invalidRecords ? { invalidRecords: input.invalidRecords } : {}),
    },
  });
}

/** Deterministic UUID-shaped id for a run's event (v5-like from sha1; stable across retries). */
function runEventId(runId: string): string {
  const hex = createHash('sha1').update(`weft-sync-event:${runId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
