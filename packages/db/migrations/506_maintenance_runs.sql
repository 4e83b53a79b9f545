-- One row per execution of a maintenance job (retention, webhook sweep, alert scan) run as a
-- pg-boss singleton job: which process ran which period's job, so an operator (and the fleet
-- test) can see that every period ran once and by whom. Pruned with the operation log.
CREATE TABLE maintenance_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job text NOT NULL,
  job_id uuid NOT NULL,
  -- the pg-boss singleton slot (start of the period) the job was created for
  period_start timestamptz,
  worker_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text
);
CREATE INDEX maintenance_runs_job_started ON maintenance_runs (job, started_at);
