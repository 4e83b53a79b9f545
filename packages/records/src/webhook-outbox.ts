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
  /** Nango's variant name; Weft runs `base`. @default 'base' */
  syncVariant?: string;
  /**
   * Nango's meaning: `INITIAL` for a run that fetched everything (the first one, or a full/reset
   * resync), `INCREMENTAL` otherwise. `FULL` is Weft's older spelling of `INITIAL`.
   */
  syncType: 'INCREMENTAL' | 'INITIAL' | 'FULL';
  runId: string;
  startedAt: string;
  finishedAt: string;
  success: boolean;
  /** Per model, for successful runs. */
  counts?: Record<string, { added: number; updated: number; deleted: number }>;
  error?: { code: string; message: string };
  /**
   * Since when to fetch this run's changes (`GET /records?modified_after=`): the run's start.
   * @default startedAt
   */
  modifiedAfter?: string | null;
  /** Records stored although they do not match their model (policy `warn`): count and the first ones. */
  invalidRecords?: { count: number; records: Array<{ model: string; recordId: string; path: string; reason: string }> };
  /** The sync's models, so a failure names them as Nango's `model` does. */
  models?: string[];
}

/**
 * Sync events with Nango's `NangoSyncWebhookBody` fields and meaning, plus Weft's per-run
 * `models` map and `runId`. Nango sends one webhook per model, so a run that changed several
 * models sends one event per changed model (each with `model` and `responseResults`); a failure
 * sends one. A successful run that changed nothing sends no event unless the environment enabled
 * `send_empty_sync_events`. Event ids derive from the run (and model), so calling this twice for
 * one run sends nothing new. Returns the first event id, or null when skipped.
 */
export async function enqueueSyncEvent(client: PoolClient | Pool, input: SyncEventInput): Promise<string | null> {
  const counts = input.counts ?? {};
  const changedModels = Object.keys(counts).filter((m) => {
    const c = counts[m];
    return c !== undefined && c.added + c.updated + c.deleted > 0;
  });
  let models = changedModels;
  if (input.success && changedModels.length === 0) {
    const { rows } = await client.query<{ send: boolean }>(
      'SELECT send_empty_sync_events AS send FROM webhook_settings WHERE environment_id = $1',
      [input.environmentId],
    );
    if (rows[0]?.send !== true) return null;
    models = Object.keys(counts).length > 0 ? Object.keys(counts) : (input.models ?? []).slice(0, 1);
  }
  const modifiedAfter = input.modifiedAfter ?? input.startedAt;
  const common = {
    from: 'nango',
    connectionId: input.connectionId,
    providerConfigKey: input.providerConfigKey,
    syncName: input.syncName,
    syncVariant: input.syncVariant ?? 'base',
    syncType: input.syncType === 'FULL' ? 'INITIAL' : input.syncType,
    runId: input.runId,
    success: input.success,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    models: counts,
    ...(input.invalidRecords ? { invalidRecords: input.invalidRecords } : {}),
  };
  if (!input.success) {
    const error = input.error ?? { code: 'WEFT_CORE_INTERNAL', message: 'the run failed' };
    return enqueueWebhookEvent(client, {
      environmentId: input.environmentId,
      type: 'sync',
      id: runEventId(input.runId),
      payload: {
        ...common,
        model: (input.models ?? Object.keys(counts)).join(','),
        failedAt: input.finishedAt,
        // Nango's ErrorPayload (`type`, `description`) beside Weft's code and message.
        error: { type: error.code, description: error.message, ...error },
      },
    });
  }
  let first: string | null = null;
  for (const [index, model] of (models.length > 0 ? models : ['']).entries()) {
    const id = await enqueueWebhookEvent(client, {
      environmentId: input.environmentId,
      type: 'sync',
      id: runEventId(index === 0 ? input.runId : `${input.runId}:${model}`),
      payload: {
        ...common,
        model,
        responseResults: counts[model] ?? { added: 0, updated: 0, deleted: 0 },
        modifiedAfter,
        queryTimeStamp: modifiedAfter,
      },
    });
    first ??= id;
  }
  return first;
}

/** Deterministic UUID-shaped id for a run's event (v5-like from sha1; stable across retries). */
function runEventId(runId: string): string {
  const hex = createHash('sha1').update(`weft-sync-event:${runId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
