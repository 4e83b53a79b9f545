/** Read-side SQL the API composes across areas (operation log). */

// One row per operation — sync run, action run, event-script run, proxy call, webhook delivery, auth event — newest first.
// $1 environment, $2 connection id (external), $3 integration key, $4 name (sync, method+url or
// event type; a substring, never a LIKE pattern), $5 state, $6 since, $7 until, $8 types, $9 limit.
export const OPERATIONS = `
SELECT type, id, provider_config_key, connection_id, name, state,
       to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
       to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ended_at, message, messages
FROM (
  SELECT 'sync' AS type, r.id::text AS id, c.provider_config_key, c.connection_id, r.sync_name AS name, r.status AS state,
         coalesce(r.started_at, r.created_at) AS at, r.ended_at, r.error->>'message' AS message,
         coalesce(r.logs, '[]'::jsonb) AS messages, r.environment_id
  FROM sync_runs r JOIN connections c ON c.id = r.connection_id
  UNION ALL
  SELECT 'action', a.id::text, c.provider_config_key, c.connection_id, a.action_name,
         CASE a.status WHEN 'running' THEN 'running' ELSE a.status END,
         a.created_at, a.finished_at, a.error->>'message', a.logs, a.environment_id
  FROM action_runs a JOIN connections c ON c.id = a.connection_id
  UNION ALL
  SELECT 'on-event', o.id::text, o.provider_config_key, o.connection_id, o.event || ' ' || o.script_name, o.status,
         o.created_at, o.finished_at, o.error->>'message', o.logs, o.environment_id
  FROM on_event_runs o
  UNION ALL
  SELECT 'proxy', p.id::text, p.provider_config_key, c.connection_id, p.method || ' ' || p.url,
         CASE WHEN p.error_code IS NOT NULL OR coalesce(p.status, 0) >= 400 THEN 'failed' ELSE 'success' END,
         p.created_at, p.created_at + make_interval(secs => p.duration_ms / 1000.0),
         coalesce(p.error_code, p.status::text || ' in ' || p.duration_ms || ' ms, ' || p.attempts || ' attempt(s)'),
         '[]'::jsonb, p.environment_id
  FROM proxy_requests p LEFT JOIN connections c ON c.id = p.connection_id
  UNION ALL
  SELECT 'webhook', d.id::text, e.payload->>'providerConfigKey', e.payload->>'connectionId', e.type || ' → ' || d.url,
         CASE d.state WHEN 'delivered' THEN 'success' WHEN 'exhausted' THEN 'failed' ELSE 'pending' END,
         d.created_at, d.delivered_at, d.last_error, '[]'::jsonb, d.environment_id
  FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
  UNION ALL
  SELECT 'auth', e.id::text, e.payload->>'providerConfigKey', e.payload->>'connectionId', 'auth ' || coalesce(e.payload->>'operation', ''),
         CASE WHEN (e.payload->>'success')::boolean THEN 'success' ELSE 'failed' END,
         e.created_at, e.created_at, e.payload->'error'->>'message', '[]'::jsonb, e.environment_id
  FROM webhook_events e WHERE e.type = 'auth'
) ops
WHERE environment_id = $1
  AND ($2::text IS NULL OR connection_id = $2) AND ($3::text IS NULL OR provider_config_key = $3)
  AND ($4::text IS NULL OR strpos(lower(name), lower($4)) > 0) AND ($5::text IS NULL OR state = $5)
  AND ($6::timestamptz IS NULL OR at > $6) AND ($7::timestamptz IS NULL OR at <= $7)
  AND ($8::text[] IS NULL OR type = ANY($8::text[]))
ORDER BY at DESC, id DESC
LIMIT $9`;

export const INSERT_ACTION_RUN = `
INSERT INTO action_runs (id, environment_id, connection_id, action_name, status, async, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`;

export const FINISH_ACTION_RUN = `
UPDATE action_runs SET status = $2, output = $3, error = $4, logs = $5, finished_at = now() WHERE id = $1`;

// A synchronous run, written once when it ends.
export const RECORD_ACTION_RUN = `
INSERT INTO action_runs (id, environment_id, connection_id, action_name, status, async, created_at, finished_at, error, logs)
VALUES ($1, $2, $3, $4, $5, false, $6, now(), $7, $8)`;

// Operation-log retention, each in slices of at most $2 rows so a large backlog never holds long
// locks. $1 = cutoff. The newest successful run of each sync stays: it is the next run's lastSyncDate.
export const PRUNE_SYNC_RUNS = `
DELETE FROM sync_runs WHERE id IN (
  SELECT r.id FROM sync_runs r
  WHERE r.ended_at < $1 AND r.status IN ('success', 'failed', 'cancelled', 'interrupted')
    AND NOT (r.status = 'success' AND r.started_at = (
      SELECT max(l.started_at) FROM sync_runs l
      WHERE l.connection_id = r.connection_id AND l.sync_name = r.sync_name AND l.variant = r.variant AND l.status = 'success'))
  LIMIT $2)`;

export const PRUNE_ACTION_RUNS = `
DELETE FROM action_runs WHERE id IN (SELECT id FROM action_runs WHERE created_at < $1 AND status <> 'running' LIMIT $2)`;

export const PRUNE_ON_EVENT_RUNS = `
DELETE FROM on_event_runs WHERE id IN (SELECT id FROM on_event_runs WHERE created_at < $1 LIMIT $2)`;

export const PRUNE_PROXY_REQUESTS = `
DELETE FROM proxy_requests WHERE id IN (SELECT id FROM proxy_requests WHERE created_at < $1 LIMIT $2)`;

// Events go with their finished deliveries; an event with a delivery still pending stays.
export const PRUNE_WEBHOOK_EVENTS = `
DELETE FROM webhook_events WHERE id IN (
  SELECT e.id FROM webhook_events e
  WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
  LIMIT $2)`;

/** Async action runs this process is running are alive. $1 ids. */
export const HEARTBEAT_ACTION_RUNS = `
UPDATE action_runs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status = 'running'`;

/**
 * Async action runs whose process stopped heartbeating for $1 seconds are failed with a clear code
 * (an action may have side effects at the provider, so it is not run again behind the caller's back).
 */
export const REAP_ACTION_RUNS = `
UPDATE action_runs SET status = 'failed', finished_at = now(),
  error = jsonb_build_object('code', 'WEFT_RUNNER_ACTION_LOST',
    'message', 'Action ' || action_name || ' was lost: the process running it stopped (no heartbeat for ' || $1 || ' s)',
    'details', jsonb_build_object('heartbeat_at', heartbeat_at))
WHERE status = 'running' AND async AND coalesce(heartbeat_at, created_at) < now() - make_interval(secs => $1::float8)
RETURNING id`;

// The dashboard's operation log: OPERATIONS plus a case-insensitive search over the name, the
// message and the log lines ($10) and keyset paging strictly below (at, id) = ($11, $12), so a
// page boundary inside one timestamp neither repeats nor skips a row. Derived from OPERATIONS
// (everything before its ORDER BY) so both always list the same operations.
const operationsOrder = OPERATIONS.lastIndexOf('ORDER BY at DESC');
if (operationsOrder < 0) throw new Error('OPERATIONS lost its ORDER BY: update DASHBOARD_OPERATIONS with it');
const OPERATIONS_FILTERED = OPERATIONS.slice(0, operationsOrder);
export const DASHBOARD_OPERATIONS = `${OPERATIONS_FILTERED}  AND ($10::text IS NULL OR strpos(lower(name), lower($10)) > 0
       OR strpos(lower(coalesce(message, '')), lower($10)) > 0 OR strpos(lower(messages::text), lower($10)) > 0)
  AND ($11::timestamptz IS NULL OR (at, id) < ($11::timestamptz, $12::text))
ORDER BY at DESC, id DESC
LIMIT $9`;

// Live (not deleted) records per model of each connection, for Nango's `recordCount` in sync status.
// $1 connections.id[]
export const RECORD_COUNTS = `
SELECT connection_id, model, count(*)::int AS count FROM records
WHERE connection_id = ANY($1::bigint[]) AND deleted_at IS NULL GROUP BY connection_id, model`;

// The saved checkpoint of each (connection, sync, variant), for Nango's `checkpoint` in sync status.
// $1 connections.id[]
export const SYNC_CHECKPOINTS = `
SELECT connection_id, sync_name, variant, checkpoint FROM sync_checkpoints WHERE connection_id = ANY($1::bigint[])`;
