/** SQL of the runner's own tables beyond the deploy store (named, parameterised). */

/** One finished event-script run, logged like sync and action runs. */
export const INSERT_ON_EVENT_RUN = `
INSERT INTO on_event_runs (id, environment_id, provider_config_key, connection_id, event, script_name, status, error, logs, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;
