/** Read models and retention over sync runs and schedules (the API's status, metrics and operation log). */

import { operationLogSql } from '@weft/db';

/** Sync runs as operation-log lines (see operationLogSql). */
export const SYNC_RUN_OPERATIONS = operationLogSql(`
  SELECT 'sync' AS type, r.id::text AS id, r.connection_id AS connection_row_id, NULL::text AS provider_config_key,
         NULL::text AS connection_id, r.sync_name AS name, r.status AS state, coalesce(r.started_at, r.created_at) AS at,
         r.ended_at, r.error->>'message' AS message, coalesce(r.logs, '[]'::jsonb) AS messages
  FROM sync_runs r
  WHERE r.environment_id = $1 AND ($2::bigint[] IS NULL OR r.connection_id = ANY($2::bigint[]))`);

// Operation-log retention, in slices of at most $2 rows so a large backlog never holds long
// locks. $1 = cutoff. The newest successful run of each sync stays: it is the next run's lastSyncDate.
export const PRUNE_SYNC_RUNS = `
DELETE FROM sync_runs WHERE id IN (
  SELECT r.id FROM sync_runs r
  WHERE r.ended_at < $1 AND r.status IN ('success', 'failed', 'cancelled', 'interrupted')
    AND NOT (r.status = 'success' AND r.started_at = (
      SELECT max(l.started_at) FROM sync_runs l
      WHERE l.connection_id = r.connection_id AND l.sync_name = r.sync_name AND l.variant = r.variant AND l.status = 'success'))
  LIMIT $2)`;

/** Per schedule of the given connections: state, next run, last run and 24 h counts. $1 connection row ids. */
export const SYNC_HEALTH = `
SELECT sc.connection_id, sc.sync_name, sc.state, CASE WHEN sc.state = 'active' THEN sc.next_run_at END AS next_run_at,
       r.status AS last_status, r.started_at AS last_started_at, r.ended_at AS last_ended_at, r.error AS last_error,
       (SELECT count(*)::int FROM sync_runs x WHERE x.schedule_id = sc.id AND x.created_at > now() - interval '24 hours' AND x.status NOT IN ('queued', 'running')) AS runs_24h,
       (SELECT count(*)::int FROM sync_runs x WHERE x.schedule_id = sc.id AND x.created_at > now() - interval '24 hours' AND x.status IN ('failed', 'interrupted')) AS failures_24h
FROM schedules sc
LEFT JOIN LATERAL (SELECT * FROM sync_runs r WHERE r.schedule_id = sc.id AND r.status NOT IN ('queued') ORDER BY r.created_at DESC LIMIT 1) r ON true
WHERE sc.connection_id = ANY($1::bigint[])
ORDER BY sc.sync_name`;

/** Counts for GET /metrics: runs by status, schedules by state. */
export const RUN_METRICS = `
SELECT
  (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*)::int AS n FROM sync_runs GROUP BY status) s) AS runs,
  (SELECT coalesce(json_object_agg(state, n), '{}') FROM (SELECT state, count(*)::int AS n FROM schedules GROUP BY state) s) AS schedules`;
