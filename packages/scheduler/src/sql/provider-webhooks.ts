/** SQL of the inbound provider webhook inbox (`provider_webhooks`, migration 700) and its handler runs. */

/**
 * Store a request's notifications; a dedupe key already stored (a duplicate delivery) inserts
 * nothing. Returns the new rows only. $1 environment, $2 integration id, $3 integration key,
 * $4 provider, $5 headers (jsonb), $6 dedupe keys, $7 payloads (jsonb text), same order.
 */
export const STORE_NOTIFICATIONS = `
INSERT INTO provider_webhooks (environment_id, integration_id, provider_config_key, provider, headers, dedupe_key, payload)
SELECT $1, $2, $3, $4, $5::jsonb, n.dedupe_key, n.payload::jsonb
FROM unnest($6::text[], $7::text[]) AS n (dedupe_key, payload)
ON CONFLICT (environment_id, integration_id, dedupe_key) DO NOTHING
RETURNING id::text AS id`;

/**
 * Claim a notification for processing: one still received, or one whose claim is older than the
 * lease ($3 seconds: its worker died). Returns it with its attempt number.
 */
export const CLAIM_NOTIFICATION = `
UPDATE provider_webhooks w SET status = 'processing', claimed_by = $2, claimed_at = now(), attempts = attempts + 1
WHERE w.id = $1 AND (w.status = 'received' OR (w.status = 'processing' AND w.claimed_at < now() - make_interval(secs => $3::float8)))
RETURNING w.id::text AS id, w.environment_id, w.integration_id, w.provider_config_key, w.provider, w.dedupe_key,
  w.payload, w.headers, w.received_at, w.attempts, w.done_targets`;

/**
 * Notifications a worker should (re)take: received but not claimed (their job was lost with the
 * process that stored them) for at least $1 seconds, or claimed by a worker silent for $2 seconds.
 */
export const PENDING_NOTIFICATIONS = `
SELECT id::text AS id FROM provider_webhooks
WHERE (status = 'received' AND received_at < now() - make_interval(secs => $1::float8))
   OR (status = 'processing' AND claimed_at < now() - make_interval(secs => $2::float8))
ORDER BY received_at LIMIT $3`;

/** Keep a claim alive while its runs go on ($1 ids, $2 worker). */
export const RENEW_CLAIMS = `
UPDATE provider_webhooks SET claimed_at = now() WHERE id = ANY($1::bigint[]) AND status = 'processing' AND claimed_by = $2`;

/**
 * Give a claim back (a target sync is running, or not scheduled yet): it is taken again by the job
 * sent for it. Waiting is not a failed attempt, so it does not count towards the attempt limit.
 */
export const RELEASE_NOTIFICATION = `
UPDATE provider_webhooks SET status = 'received', claimed_by = NULL, claimed_at = NULL, attempts = greatest(attempts - 1, 0)
WHERE id = $1 AND status = 'processing' AND claimed_by = $2`;

/** Final state of a notification with what was decided. */
export const FINISH_NOTIFICATION = `
UPDATE provider_webhooks SET status = $3, outcome = $4::jsonb, processed_at = now()
WHERE id = $1 AND status = 'processing' AND claimed_by = $2`;

/** A target (connection:sync) whose handler run committed; a retry of the notification skips it. */
export const MARK_TARGET_DONE = `
UPDATE provider_webhooks SET done_targets = array_append(done_targets, $2) WHERE id = $1 AND NOT ($2 = ANY(done_targets))`;

/** A notification by id (tests and the operator's view). */
export const NOTIFICATION_BY_ID = `
SELECT id::text AS id, status, attempts, outcome, done_targets, dedupe_key FROM provider_webhooks WHERE id = $1`;

/**
 * Open a handler run: a sync run with trigger 'webhook', running at once on this worker. The
 * unique index of running runs keeps it from overlapping a run of the same sync and connection
 * (23505: the caller tries again later). $1 run id, $2 connection, $3 sync, $4 worker, $5 notification.
 */
export const START_HANDLER_RUN = `
INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, mode, trigger, worker_id, started_at, heartbeat_at, webhook_id)
SELECT $1, sc.id, sc.environment_id, sc.connection_id, sc.sync_name, sc.variant, 'running', 'incremental', 'webhook', $4, now(), now(), $5
FROM schedules sc WHERE sc.connection_id = $2 AND sc.sync_name = $3 AND sc.variant = 'base' AND sc.state = 'active'
RETURNING id, started_at`;

/** The schedule state of a (connection, sync): null when the scheduler has not reconciled it yet. */
export const SCHEDULE_STATE = `
SELECT state FROM schedules WHERE connection_id = $1 AND sync_name = $2 AND variant = 'base'`;

/** Close a handler run (only if still this worker's: the reaper may have interrupted it). */
export const FINISH_HANDLER_RUN = `
UPDATE sync_runs SET status = $3, ended_at = now(), counts = $4, error = $5, logs = $6, invalid_records = $7
WHERE id = $1 AND status = 'running' AND worker_id = $2
RETURNING id, started_at`;

/** The schedules (connection × deployed sync) of some connections, for handler runs and sync triggers. */
export const SCHEDULES_OF_CONNECTIONS = `
SELECT sc.id, sc.connection_id, sc.sync_name, sc.state FROM schedules sc
WHERE sc.connection_id = ANY($1::bigint[]) AND sc.variant = 'base'`;

/** Queue an incremental run for a notification (joins a queued run: a burst makes one run). */
export const QUEUE_WEBHOOK_SYNC = `
INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, mode, trigger)
SELECT gen_random_uuid(), id, environment_id, connection_id, sync_name, variant, 'queued', 'incremental', 'webhook'
FROM schedules WHERE id = $1 AND state = 'active'
ON CONFLICT (connection_id, sync_name, variant) WHERE status = 'queued' DO UPDATE
  SET run_after = least(sync_runs.run_after, now())
RETURNING id, (xmax = 0) AS created`;

/** Finished notifications received before $1, at most $2 per statement (log retention). */
export const PRUNE_NOTIFICATIONS = `
DELETE FROM provider_webhooks WHERE id IN (
  SELECT id FROM provider_webhooks
  WHERE status IN ('processed', 'refused', 'failed') AND received_at < $1::timestamptz
  LIMIT $2)`;
