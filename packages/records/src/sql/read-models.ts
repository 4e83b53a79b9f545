/** Read models over records and webhook tables for the API (operation log, metrics, sync status) and their retention. */

import { operationLogSql } from '@weft/db';

/** Webhook deliveries and auth events as operation-log lines (see operationLogSql in @weft/db). */
export const WEBHOOK_OPERATIONS = operationLogSql(`
  SELECT 'webhook' AS type, d.id::text AS id, NULL::bigint AS connection_row_id, e.payload->>'providerConfigKey' AS provider_config_key,
         e.payload->>'connectionId' AS connection_id, e.type || ' → ' || d.url AS name,
         CASE d.state WHEN 'delivered' THEN 'success' WHEN 'exhausted' THEN 'failed' ELSE 'pending' END AS state,
         d.created_at AS at, d.delivered_at AS ended_at, d.last_error AS message, '[]'::jsonb AS messages
  FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
  -- $2 (connection rows) does not apply: events carry the external ids, which the wrapper filters.
  WHERE d.environment_id = $1 AND ($2::bigint[] IS NULL OR true)
  UNION ALL
  SELECT 'auth', e.id::text, NULL::bigint, e.payload->>'providerConfigKey', e.payload->>'connectionId',
         'auth ' || coalesce(e.payload->>'operation', ''),
         CASE WHEN (e.payload->>'success')::boolean THEN 'success' ELSE 'failed' END,
         e.created_at, e.created_at, e.payload->'error'->>'message', '[]'::jsonb
  FROM webhook_events e WHERE e.environment_id = $1 AND e.type = 'auth'`);

// Events go with their finished deliveries; an event with a delivery still pending stays.
// $1 cutoff, $2 slice.
export const PRUNE_WEBHOOK_EVENTS = `
DELETE FROM webhook_events WHERE id IN (
  SELECT e.id FROM webhook_events e
  WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
  LIMIT $2)`;

// Live (not deleted) records per model of each connection, for Nango's `recordCount` in sync status.
// $1 connections.id[]
export const LIVE_RECORD_COUNTS = `
SELECT connection_id, model, count(*)::int AS count FROM records
WHERE connection_id = ANY($1::bigint[]) AND deleted_at IS NULL GROUP BY connection_id, model`;

/** GET /metrics: deliveries by state and the planner's estimate of stored records. */
export const RECORDS_METRICS = `
SELECT
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM (SELECT state, count(*)::int AS n FROM webhook_deliveries GROUP BY state) s) AS deliveries,
  (SELECT coalesce(sum(n_live_tup), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'records') AS records_estimate`;

/** Alert sources: deliveries that gave up, over every environment. */
export const EXHAUSTED_DELIVERIES = `
SELECT id, environment_id, event_id, url, attempts, last_error FROM webhook_deliveries WHERE state = 'exhausted'`;
