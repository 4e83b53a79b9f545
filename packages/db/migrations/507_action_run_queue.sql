-- Async actions are pg-boss jobs any process of the fleet runs (scheduler/src/action-queue.ts): a
-- run accepted by a process with no free action slot waits `queued` (its job committed with the
-- row) until a process with a free slot claims it. worker_id names the process that ran it (or is
-- running it), so an operator can tell which one to look at when an action is lost.
ALTER TABLE action_runs DROP CONSTRAINT IF EXISTS async_actions_status_check;
ALTER TABLE action_runs DROP CONSTRAINT IF EXISTS action_runs_status_check;
ALTER TABLE action_runs
  ADD CONSTRAINT action_runs_status_check CHECK (status IN ('queued', 'running', 'success', 'failed')),
  ADD COLUMN worker_id text;
