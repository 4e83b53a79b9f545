/**
 * SQL of action runs (`action_runs`): every action run, sync or `X-Async: true`, for GET /action/:id,
 * the fleet's async action queue and the operation log.
 */

import { operationLogSql } from '@weft/db';

/** $1 id, $2 environment, $3 connection row id, $4 action name, $5 async, $6 created at, $7 worker id (null: unnamed). */
export const START_ACTION_RUN = `
INSERT INTO action_runs (id, environment_id, connection_id, action_name, status, async, created_at, worker_id)
VALUES ($1, $2, $3, $4, 'running', $5, $6, $7)`;

/**
 * An async run no process has taken yet; its pg-boss job is inserted in the same transaction.
 * No heartbeat until claimed: the reaper only fails runs a process had started.
 * $1 id, $2 environment, $3 connection row id, $4 action name, $5 created at.
 */
export const QUEUE_ACTION_RUN = `
INSERT INTO action_runs (id, environment_id, connection_id, action_name, status, async, created_at, heartbeat_at)
VALUES ($1, $2, $3, $4, 'queued', true, $5, NULL)`;

/**
 * A queued run taken by the process that fetched its job (in the fetch's transaction, so the job
 * and the claim commit together). Nothing when it is no longer queued. $1 id, $2 worker id.
 */
export const CLAIM_ACTION_RUN = `
UPDATE action_runs SET status = 'running', worker_id = $2, heartbeat_at = now()
WHERE id = $1 AND status = 'queued'
RETURNING id`;

/** Channel on which processes with free action slots are told that a run was queued. */
export const ACTION_QUEUE_CHANNEL = 'weft_action_queue';

/** A queue worker's listening connection. */
export const LISTEN_ACTION_QUEUE = `LISTEN ${ACTION_QUEUE_CHANNEL}`;
export const UNLISTEN_ACTION_QUEUE = `UNLISTEN ${ACTION_QUEUE_CHANNEL}`;

/** Wakes the fleet's action queue workers (delivered at commit, with the queued run). */
export const NOTIFY_ACTION_QUEUED = `SELECT pg_notify('${ACTION_QUEUE_CHANNEL}', '')`;

/** $1 id, $2 status, $3 output, $4 error, $5 logs. */
export const FINISH_ACTION_RUN = `
UPDATE action_runs SET status = $2, output = $3, error = $4, logs = $5, finished_at = now() WHERE id = $1`;

/** A synchronous run, written once when it ends. $1 id, $2 environment, $3 connection row id, $4 name, $5 status, $6 created at, $7 error, $8 logs. */
export const RECORD_ACTION_RUN = `
INSERT INTO action_runs (id, environment_id, connection_id, action_name, status, async, created_at, finished_at, error, logs)
VALUES ($1, $2, $3, $4, $5, false, $6, now(), $7, $8)`;

/** An async run as its caller polls it. $1 id, $2 environment. */
export const ASYNC_ACTION_RUN = `
SELECT id, action_name, status, output, error, created_at, finished_at FROM action_runs
WHERE id = $1 AND environment_id = $2 AND async`;

/** Async action runs this process is running are alive. $1 ids. */
export const HEARTBEAT_ACTION_RUNS = `
UPDATE action_runs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status = 'running'`;

/**
 * Async action runs whose process stopped heartbeating for $1 seconds are failed with a clear code
 * (an action may have side effects at the provider, so it is not run again behind the caller's back).
 */
export const REAP_ACTION_RUNS = `
WITH lost AS (
  UPDATE action_runs SET status = 'failed', finished_at = now(),
    error = jsonb_build_object('code', 'WEFT_RUNNER_ACTION_LOST',
      'message', 'Action ' || action_name || ' was lost: the process running it stopped (no heartbeat for ' || $1 || ' s)',
      'details', jsonb_build_object('heartbeat_at', heartbeat_at))
  WHERE status = 'running' AND async AND coalesce(heartbeat_at, created_at) < now() - make_interval(secs => $1::float8)
  RETURNING id, environment_id, connection_id
)
SELECT lost.id, lost.environment_id, c.connection_id, c.provider_config_key
FROM lost JOIN connection_refs c ON c.id = lost.connection_id`;

/** Retention in slices. $1 cutoff, $2 slice. */
export const PRUNE_ACTION_RUNS = `
DELETE FROM action_runs WHERE id IN (
  SELECT id FROM action_runs WHERE created_at < $1 AND status NOT IN ('queued', 'running') LIMIT $2)`;

/** Action runs as operation-log lines (see operationLogSql). */
export const ACTION_RUN_OPERATIONS = operationLogSql(`
  SELECT 'action' AS type, a.id::text AS id, a.connection_id AS connection_row_id, NULL::text AS provider_config_key,
         NULL::text AS connection_id, a.action_name AS name, a.status AS state, a.created_at AS at,
         a.finished_at AS ended_at, a.error->>'message' AS message, a.logs AS messages
  FROM action_runs a
  WHERE a.environment_id = $1 AND ($2::bigint[] IS NULL OR a.connection_id = ANY($2::bigint[]))`);
