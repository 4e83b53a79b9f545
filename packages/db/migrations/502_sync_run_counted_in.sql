-- An interrupted run's committed changes are reported by the run that retries it: `counted_in`
-- points at that run (chains of interruptions all point at the latest retry).
ALTER TABLE sync_runs ADD COLUMN counted_in uuid;
CREATE INDEX sync_runs_counted_in_idx ON sync_runs (counted_in) WHERE counted_in IS NOT NULL;
