-- Every action run (synchronous or `X-Async: true`) is kept for the operation log, with its log
-- lines; async callers still poll GET /action/:id for the outcome.
ALTER TABLE async_actions RENAME TO action_runs;
ALTER TABLE action_runs
  ADD COLUMN async boolean NOT NULL DEFAULT true,
  ADD COLUMN logs jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE action_runs ALTER COLUMN async DROP DEFAULT;
CREATE INDEX action_runs_environment_created ON action_runs (environment_id, created_at);
