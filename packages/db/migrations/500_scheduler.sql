-- Schedules and runs (owned by @weft/scheduler). A schedule exists per (connection, sync,
-- variant) of every deployed sync; its state lives here, not in process memory.
CREATE TABLE schedules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  provider_config_key text NOT NULL,
  sync_name text NOT NULL,
  variant text NOT NULL DEFAULT 'base',
  frequency_seconds integer NOT NULL,
  -- Per-connection override (PUT /sync/update-connection-frequency); null = the script's frequency.
  frequency_override_seconds integer,
  -- Deterministic offset (from a hash) so connections created together do not fire together.
  jitter_seconds integer NOT NULL DEFAULT 0,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
  next_run_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, sync_name, variant)
);
CREATE INDEX schedules_due_idx ON schedules (next_run_at) WHERE state = 'active';

CREATE TABLE sync_runs (
  id uuid PRIMARY KEY,
  schedule_id bigint NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  environment_id integer NOT NULL,
  connection_id bigint NOT NULL,
  sync_name text NOT NULL,
  variant text NOT NULL DEFAULT 'base',
  status text NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failed', 'cancelled', 'interrupted')),
  mode text NOT NULL DEFAULT 'incremental' CHECK (mode IN ('incremental', 'full')),
  trigger text NOT NULL DEFAULT 'schedule',
  attempt integer NOT NULL DEFAULT 1,
  worker_id text,
  run_after timestamptz NOT NULL DEFAULT now(),
  -- When the schedule wanted this run to start (lateness = started_at - scheduled_for).
  scheduled_for timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz,
  started_at timestamptz,
  ended_at timestamptz,
  counts jsonb NOT NULL DEFAULT '{}',
  error jsonb,
  logs jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- At most one queued and one running run per (connection, sync, variant), across all workers.
CREATE UNIQUE INDEX sync_runs_one_running_idx ON sync_runs (connection_id, sync_name, variant) WHERE status = 'running';
CREATE UNIQUE INDEX sync_runs_one_queued_idx ON sync_runs (connection_id, sync_name, variant) WHERE status = 'queued';
CREATE INDEX sync_runs_schedule_idx ON sync_runs (schedule_id, created_at DESC);
CREATE INDEX sync_runs_heartbeat_idx ON sync_runs (heartbeat_at) WHERE status = 'running';
