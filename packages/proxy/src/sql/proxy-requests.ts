/** Read-side SQL over proxy_requests for the dashboard. */

import { operationLogSql } from '@weft/db';

// Proxy calls of a window by time bucket (`bucket` = its index from the window start; a hash aggregate, the caller sums
// the total). $1 environment,
// $2 integration key or NULL, $3 window start, $4 bucket seconds. An error is a transport failure
// (error_code) or a 4xx/5xx answer; 429s are also counted on their own (throttling).
export const PROXY_STATS = `
SELECT floor(date_part('epoch', created_at - $3::timestamptz) / $4::int)::int AS bucket,
       count(*)::int AS calls,
       count(*) FILTER (WHERE error_code IS NOT NULL OR coalesce(status, 0) >= 400)::int AS errors,
       count(*) FILTER (WHERE status = 429)::int AS throttled
FROM proxy_requests
WHERE environment_id = $1 AND created_at >= $3::timestamptz AND ($2::text IS NULL OR provider_config_key = $2)
GROUP BY 1`;

/**
 * Proxy calls as operation-log lines (see operationLogSql in @weft/db). A call without a
 * connection matches an integration filter alone, never a connection filter.
 */
export const PROXY_REQUEST_OPERATIONS = operationLogSql(`
  SELECT 'proxy' AS type, p.id::text AS id, p.connection_id AS connection_row_id, p.provider_config_key,
         NULL::text AS connection_id, p.method || ' ' || p.url AS name,
         CASE WHEN p.error_code IS NOT NULL OR coalesce(p.status, 0) >= 400 THEN 'failed' ELSE 'success' END AS state,
         p.created_at AS at, p.created_at + make_interval(secs => p.duration_ms / 1000.0) AS ended_at,
         coalesce(p.error_code, p.status::text || ' in ' || p.duration_ms || ' ms, ' || p.attempts || ' attempt(s)') AS message,
         '[]'::jsonb AS messages
  FROM proxy_requests p
  WHERE p.environment_id = $1
    AND ($2::bigint[] IS NULL OR p.connection_id = ANY($2::bigint[]) OR ($12::text IS NULL AND p.provider_config_key = $13))`);

/** Retention in slices. $1 cutoff, $2 slice. */
export const PRUNE_PROXY_REQUESTS = `
DELETE FROM proxy_requests WHERE id IN (SELECT id FROM proxy_requests WHERE created_at < $1 LIMIT $2)`;

/** GET /metrics: calls and failed calls of the last 5 minutes, over every environment. */
export const PROXY_METRICS = `
SELECT count(*)::int AS requests, count(*) FILTER (WHERE error_code IS NOT NULL)::int AS errors
FROM proxy_requests WHERE created_at > now() - interval '5 minutes'`;
