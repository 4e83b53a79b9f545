/** SQL of the runner's own tables beyond the deploy store (named, parameterised). */

import { operationLogSql } from '@weft/db';

/** One finished event-script run, logged like sync and action runs. */
export const INSERT_ON_EVENT_RUN = `
INSERT INTO on_event_runs (id, environment_id, provider_config_key, connection_id, event, script_name, status, error, logs, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

/** Event-script runs as operation-log lines (see operationLogSql in @weft/db). */
export const ON_EVENT_RUN_OPERATIONS = operationLogSql(`
  SELECT 'on-event' AS type, o.id::text AS id, NULL::bigint AS connection_row_id, o.provider_config_key,
         o.connection_id, o.event || ' ' || o.script_name AS name, o.status AS state, o.created_at AS at,
         o.finished_at AS ended_at, o.error->>'message' AS message, o.logs AS messages
  FROM on_event_runs o
  -- $2 (connection rows) does not apply: the run stores the external ids, which the wrapper filters.
  WHERE o.environment_id = $1 AND ($2::bigint[] IS NULL OR true)`);

/** Retention in slices. $1 cutoff, $2 slice. */
export const PRUNE_ON_EVENT_RUNS = `
DELETE FROM on_event_runs WHERE id IN (SELECT id FROM on_event_runs WHERE created_at < $1 LIMIT $2)`;

// Deployments reference integrations by row id; callers resolve a key with auth's integrationRowId.

/** The last 100 deployments of an integration, newest first. $1 integration row id. */
export const LIST_DEPLOYMENTS = `
SELECT version, active, summary, created_at FROM deployments
WHERE integration_id = $1 ORDER BY version DESC LIMIT 100`;

/** The newest inactive deployment of an integration (what a rollback makes active). $1 integration row id. */
export const PREVIOUS_DEPLOYMENT = `
SELECT id, version, integration_id FROM deployments
WHERE integration_id = $1 AND NOT active ORDER BY version DESC LIMIT 1`;
