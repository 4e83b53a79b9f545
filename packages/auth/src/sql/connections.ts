/** Read-side SQL over connections for the dashboard. */

// Connections by auth state: needs_reauth (the user must reconnect), refresh_failing (the last
// token refresh failed but the credentials may still work), ok. $1 environment, $2 integration or NULL.
export const CONNECTION_STATE_COUNTS = `
SELECT CASE WHEN auth_state = 'needs_reauth' THEN 'needs_reauth'
            WHEN last_refresh_error IS NOT NULL THEN 'refresh_failing'
            ELSE 'ok' END AS state,
       count(*)::int AS count
FROM connections
WHERE environment_id = $1 AND ($2::text IS NULL OR provider_config_key = $2)
GROUP BY 1`;

// A connection's names without its credentials, by row id or by (external id, integration), for
// read models of other packages that store the row id. $1 environment (NULL: every one), $2 row ids or NULL,
// $3 external connection id or NULL, $4 integration or NULL.
export const CONNECTION_KEYS = `
SELECT id, connection_id, provider_config_key FROM connections
WHERE ($1::int IS NULL OR environment_id = $1) AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
  AND ($3::text IS NULL OR connection_id = $3) AND ($4::text IS NULL OR provider_config_key = $4)`;

// GET /metrics: connections by auth state over every environment.
export const CONNECTION_METRICS = `
SELECT coalesce(json_object_agg(auth_state, n), '{}') AS by_state
FROM (SELECT auth_state, count(*)::int AS n FROM connections GROUP BY auth_state) s`;

// Alert sources: connections the end user must re-authorize, over every environment.
export const CONNECTIONS_NEEDING_REAUTH = `
SELECT id, environment_id, connection_id, provider_config_key, last_refresh_error FROM connections WHERE auth_state = 'needs_reauth'`;

// Alert sources: integrations whose client secret expires within $1 days, over every environment.
export const EXPIRING_CLIENT_SECRETS = `
SELECT id, environment_id, unique_key, client_secret_expires_at FROM integrations
WHERE client_secret_expires_at IS NOT NULL AND client_secret_expires_at < now() + make_interval(days => $1)`;
