-- Dashboard overview (runs by outcome over time, duration percentiles, record changes per model):
-- one range scan of the environment's runs since the window start. The INCLUDE columns make it
-- index-only, so a week out of a million runs never touches the heap (measured by bench/dashboard).
CREATE INDEX sync_runs_overview_idx ON sync_runs (environment_id, created_at)
  INCLUDE (schedule_id, status, started_at, ended_at, counts);
