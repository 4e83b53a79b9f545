/** SQL of maintenance executions (`maintenance_runs`). */

/** $1 job, $2 pg-boss job id, $3 period start, $4 worker. */
export const START_MAINTENANCE_RUN = `
INSERT INTO maintenance_runs (job, job_id, period_start, worker_id) VALUES ($1, $2, $3, $4) RETURNING id`;

/** $1 id, $2 error or NULL. */
export const FINISH_MAINTENANCE_RUN = `UPDATE maintenance_runs SET finished_at = now(), error = $2 WHERE id = $1`;

/** Executions older than $1 go (in one statement: one row per job and period is small). */
export const PRUNE_MAINTENANCE_RUNS = `DELETE FROM maintenance_runs WHERE started_at < $1`;
