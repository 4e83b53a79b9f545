/** Read-side SQL over proxy_requests for the dashboard. */

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
