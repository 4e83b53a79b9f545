-- Proxy request log (owned by @weft/proxy): one row per logical call (retries are counted, not
-- repeated). URLs are stored with secret query values redacted; bodies are never stored.
CREATE TABLE proxy_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL,
  connection_id bigint,
  provider_config_key text NOT NULL,
  run_id text,
  method text NOT NULL,
  url text NOT NULL,
  status integer,
  duration_ms integer NOT NULL,
  attempts integer NOT NULL,
  error_code text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proxy_requests_env_idx ON proxy_requests (environment_id, id DESC);
CREATE INDEX proxy_requests_run_idx ON proxy_requests (run_id) WHERE run_id IS NOT NULL;
