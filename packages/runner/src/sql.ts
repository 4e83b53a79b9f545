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

/** The last 100 deployments of an integration, newest first. $1 environment, $2 integration key. */
export const LIST_DEPLOYMENTS = `
SELECT d.version, d.active, d.summary, d.created_at FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = $1 AND i.unique_key = $2 ORDER BY d.version DESC LIMIT 100`;
