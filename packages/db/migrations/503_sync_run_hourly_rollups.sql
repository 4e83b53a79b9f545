-- Hourly rollups of sync runs for the dashboard overview (owned by @weft/scheduler, filled by
-- runStats itself: packages/scheduler/src/run-rollups.ts says when an hour may be rolled up and
-- why that is exact). An hour is keyed by the runs' created_at (the overview's bucketing column,
-- set once at insert). One marker row per rolled-up hour; its counts are written in the same
-- transaction, so a reader that sees the marker sees all of them.
-- Runs of a connection deleted later (its schedules and runs cascade away) stay counted in the
-- hours already rolled up: the overview keeps showing what ran; only a deleted environment takes
-- its rollups along.
CREATE TABLE sync_run_rollup_hours (
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,
  -- Set by log retention once the hour's runs may have been pruned: its counts are then dropped
  -- and the hour is read from the surviving raw rows (never rolled up again).
  pruned boolean NOT NULL DEFAULT false,
  PRIMARY KEY (environment_id, hour)
);

-- Runs of an hour by integration, outcome and 10 %-wide duration class (as RUN_STATS counts them).
CREATE TABLE sync_run_hourly (
  environment_id integer NOT NULL,
  hour timestamptz NOT NULL,
  provider_config_key text NOT NULL,
  status text NOT NULL,
  -- floor(ln(ms) / ln(1.1)); null for runs that ended without starting (cancelled while queued)
  class integer,
  runs integer NOT NULL,
  FOREIGN KEY (environment_id, hour) REFERENCES sync_run_rollup_hours (environment_id, hour) ON DELETE CASCADE
);
CREATE INDEX sync_run_hourly_hour_idx ON sync_run_hourly (environment_id, hour);

-- Records added/updated/deleted per model by an hour's runs, by integration.
CREATE TABLE sync_run_hourly_records (
  environment_id integer NOT NULL,
  hour timestamptz NOT NULL,
  provider_config_key text NOT NULL,
  model text NOT NULL,
  added bigint NOT NULL,
  updated bigint NOT NULL,
  deleted bigint NOT NULL,
  FOREIGN KEY (environment_id, hour) REFERENCES sync_run_rollup_hours (environment_id, hour) ON DELETE CASCADE
);
CREATE INDEX sync_run_hourly_records_hour_idx ON sync_run_hourly_records (environment_id, hour);
