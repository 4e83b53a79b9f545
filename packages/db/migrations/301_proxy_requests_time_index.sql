-- Dashboard overview (proxy calls, errors and 429s over a time range): a range scan by time
-- instead of walking the environment's whole log by id.
CREATE INDEX proxy_requests_overview_idx ON proxy_requests (environment_id, created_at)
  INCLUDE (provider_config_key, status, error_code);
