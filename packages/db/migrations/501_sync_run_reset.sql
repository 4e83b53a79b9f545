-- `reset` runs (sync_mode full_refresh_and_clear_cache): a full resync whose successful run is
-- the complete set of records; whatever it did not save is tombstoned at the end.
ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_mode_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_mode_check CHECK (mode IN ('incremental', 'full', 'reset'));
