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
