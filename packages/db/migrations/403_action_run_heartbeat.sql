-- Async action runs heartbeat while their process runs them; a run whose process died (kill -9,
-- OOM) stops heartbeating and is failed by the reaper instead of staying `running` forever.
ALTER TABLE action_runs ADD COLUMN heartbeat_at timestamptz DEFAULT now();
