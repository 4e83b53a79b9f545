/**
 * Plain SQL of the scheduler. Connections and deployed scripts belong to auth and the runner: the
 * statements here join them only through the views those packages publish (`connection_refs`,
 * `active_sync_scripts`), never their tables (test/foundation/table-owners.test.ts).
 */

// Every (connection, deployed sync) gets a schedule; new connections and new deploys are picked
// up here. $1 = time scale (1 in production; tests shrink time). The views are inlined by
// Postgres, so this stays one statement with the plan of the join over the base tables.
export const RECONCILE_SCHEDULES = `
INSERT INTO schedules (environment_id, connection_id, provider_config_key, sync_name, frequency_seconds, jitter_seconds, state, next_run_at)
SELECT c.environment_id, c.id, c.provider_config_key, s.sync_name, s.frequency_seconds, j.jitter,
       CASE WHEN s.auto_start IS FALSE THEN 'paused' ELSE 'active' END,
       now() + make_interval(secs => j.jitter * $1::float8)
FROM connection_refs c
JOIN active_sync_scripts s ON s.integration_id = c.integration_id
CROSS JOIN LATERAL (SELECT abs(hashtext(c.id::text || ':' || s.sync_name)) % greatest(1, least(s.frequency_seconds, 60)) AS jitter) j
ON CONFLICT (connection_id, sync_name, variant) DO UPDATE SET frequency_seconds = EXCLUDED.frequency_seconds
  WHERE schedules.frequency_seconds <> EXCLUDED.frequency_seconds`;

export const DELETE_ORPHAN_SCHEDULES = `
DELETE FROM schedules sc WHERE NOT EXISTS (
  SELECT 1 FROM connection_refs c
  JOIN active_sync_scripts s ON s.integration_id = c.integration_id
  WHERE c.id = sc.connection_id AND s.sync_name = sc.sync_name)`;

// Due schedules become queued runs (one queued per key at most: a run still queued coalesces),
// and their next_run_at advances by the frequency without drifting (or from now when far behind).
export const QUEUE_DUE = `
WITH due AS (
  SELECT id, environment_id, connection_id, sync_name, variant, next_run_at,
         coalesce(frequency_override_seconds, frequency_seconds) * $2::float8 AS period
  FROM schedules WHERE state = 'active' AND next_run_at <= now()
  ORDER BY next_run_at LIMIT $1 FOR UPDATE SKIP LOCKED
), advanced AS (
  UPDATE schedules s SET next_run_at = CASE
      WHEN due.next_run_at + make_interval(secs => due.period) > now() THEN due.next_run_at + make_interval(secs => due.period)
      ELSE now() + make_interval(secs => due.period) END
  FROM due WHERE s.id = due.id RETURNING s.id
)
INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, trigger, scheduled_for)
SELECT gen_random_uuid(), due.id, due.environment_id, due.connection_id, due.sync_name, due.variant, 'queued', 'schedule', due.next_run_at
FROM due
ON CONFLICT DO NOTHING
RETURNING id`;

/**
 * Claim a queued run, and in the same round trip what starting it needs: the connection's keys
 * and the last successful run's start (the script's lastSyncDate). Three sequential queries
 * here were a sixth of trigger → script start. The subqueries read the snapshot before this
 * update, where the claimed run is still queued, so it is never its own last success.
 */
export const CLAIM_RUN = `
UPDATE sync_runs r SET status = 'running', worker_id = $2, started_at = now(), heartbeat_at = now()
WHERE r.id = $1 AND r.status = 'queued' AND r.run_after <= now()
RETURNING r.id, r.schedule_id, r.environment_id, r.connection_id, r.sync_name, r.variant, r.mode, r.attempt, r.trigger,
  (SELECT c.provider_config_key FROM connection_refs c WHERE c.id = r.connection_id) AS provider_config_key,
  (SELECT c.connection_id FROM connection_refs c WHERE c.id = r.connection_id) AS external_id,
  (SELECT to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM sync_runs s
   WHERE s.connection_id = r.connection_id AND s.sync_name = r.sync_name AND s.variant = r.variant AND s.status = 'success'
   ORDER BY s.started_at DESC LIMIT 1) AS last_success`;

/**
 * Queued runs whose job is gone: due for longer than $1 seconds and without a pending pg-boss job
 * of the run queue ($2), nor an active one fetched within those $1 seconds (its handler claims at
 * once, so an older active job's process died before claiming). A run is queued by one statement
 * and its job sent by the next, so a crash in between (or a handler dying before its claim) left
 * the run queued with nothing to start it, and every later trigger or scheduled run of the sync
 * joined it: the sync stopped for good. The sweep sends such a run a job again; a duplicate job
 * is harmless, since the claim is a conditional update. $3 limit.
 */
export const ORPHANED_QUEUED_RUNS = `
SELECT r.id FROM sync_runs r
WHERE r.status = 'queued' AND r.run_after < now() - make_interval(secs => $1::float8)
  AND NOT EXISTS (
    SELECT 1 FROM pgboss.job j
    WHERE j.name = $2 AND j.data->>'runId' = r.id::text
      AND (j.state IN ('created', 'retry')
        OR (j.state = 'active' AND j.started_on > now() - make_interval(secs => $1::float8))))
ORDER BY r.run_after
LIMIT $3`;

/** A run still queued but not yet due: how long until it is (by the database's clock). */
export const QUEUED_WAIT = `
SELECT extract(epoch FROM run_after - now())::float8 AS wait_seconds FROM sync_runs
WHERE id = $1 AND status = 'queued' AND run_after > now()`;

/** The integration of a run's connection, for the per-integration concurrency cap. */
export const RUN_INTEGRATION_KEY = `
SELECT c.provider_config_key AS key FROM sync_runs r JOIN connection_refs c ON c.id = r.connection_id WHERE r.id = $1`;

export const HEARTBEAT = `UPDATE sync_runs SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status = 'running' AND worker_id = $2`;

export const FINISH_RUN = `
UPDATE sync_runs SET status = $3, ended_at = now(), counts = $4, error = $5, logs = $6, invalid_records = $7
WHERE id = $1 AND status = 'running' AND worker_id = $2
RETURNING id, started_at`;

const modeRank = (column: string) => `CASE ${column} WHEN 'reset' THEN 2 WHEN 'full' THEN 1 ELSE 0 END`;

/**
 * A manual trigger in one round trip (selecting the schedules, then queueing each, were two or
 * more before the job was even sent): the selected schedules, each with the run it queued or
 * joined. A trigger queues a run, or joins the one already queued; a stronger mode (full, reset)
 * upgrades that queued run (and makes it due now) rather than being dropped. Nothing is queued when any selected schedule is paused or a
 * named sync is missing; the caller then refuses the trigger from the rows returned.
 * $1 environment, $2 integration key, $3 sync names or null, $4 connection id or null, $5 mode.
 */
export const TRIGGER_MANUAL = `
WITH selected AS (
  SELECT sc.id, sc.connection_id, sc.sync_name, sc.variant, sc.state, c.connection_id AS external_id
  FROM schedules sc JOIN connection_refs c ON c.id = sc.connection_id
  WHERE sc.environment_id = $1 AND sc.provider_config_key = $2
    AND ($3::text[] IS NULL OR sc.sync_name = ANY($3::text[]))
    AND ($4::text IS NULL OR c.connection_id = $4)
), queued AS (
  INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, mode, trigger)
  SELECT gen_random_uuid(), sc.id, sc.environment_id, sc.connection_id, sc.sync_name, sc.variant, 'queued', $5, 'manual'
  FROM schedules sc JOIN selected ON selected.id = sc.id
  WHERE NOT EXISTS (SELECT 1 FROM selected WHERE state = 'paused')
    AND NOT EXISTS (SELECT 1 FROM unnest(coalesce($3::text[], '{}')) AS n(name) WHERE n.name NOT IN (SELECT sync_name FROM selected))
  ON CONFLICT (connection_id, sync_name, variant) WHERE status = 'queued' DO UPDATE
    SET mode = EXCLUDED.mode, attempt = 1, trigger = 'manual', run_after = least(sync_runs.run_after, now())
    WHERE ${modeRank('EXCLUDED.mode')} > ${modeRank('sync_runs.mode')}
  RETURNING id, schedule_id
)
SELECT selected.*, queued.id AS run_id FROM selected LEFT JOIN queued ON queued.schedule_id = selected.id`;

/**
 * The next attempt of a failed or interrupted run. When a run of the sync is already queued (the
 * schedule came round meanwhile), that run becomes the retry if the failed one was stronger (a full
 * or reset run must not turn into an incremental one: a reset would never end its snapshot), and
 * it continues the attempt (checkpoint and open snapshot kept). Otherwise the queued run serves.
 */
export const QUEUE_RETRY = `
INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, variant, status, mode, trigger, attempt, run_after, scheduled_for)
SELECT gen_random_uuid(), schedule_id, environment_id, connection_id, sync_name, variant, 'queued', mode, 'retry', attempt + 1,
       now() + make_interval(secs => $2::float8), now() + make_interval(secs => $2::float8)
FROM sync_runs WHERE id = $1
ON CONFLICT (connection_id, sync_name, variant) WHERE status = 'queued' DO UPDATE
  SET mode = EXCLUDED.mode, attempt = EXCLUDED.attempt, trigger = 'retry',
      run_after = least(sync_runs.run_after, EXCLUDED.run_after)
  WHERE ${modeRank('EXCLUDED.mode')} > ${modeRank('sync_runs.mode')}
RETURNING id, run_after`;

/** A run and the interrupted attempts whose committed changes it reports. */
export const RUN_CHAIN = `SELECT id::text AS id FROM sync_runs WHERE id = $1 OR counted_in = $1`;

/**
 * An interrupted run wrote no outcome: its committed changes (and those of the attempts it was
 * already reporting) move to the run that takes over its key — the retry just queued, or the run
 * queued (or already running) when the retry coalesced into it.
 */
export const ADOPT_INTERRUPTED = `
WITH target AS (
  SELECT q.id FROM sync_runs r
  JOIN sync_runs q ON q.connection_id = r.connection_id AND q.sync_name = r.sync_name AND q.variant = r.variant
  WHERE r.id = $1 AND q.id <> $1 AND q.status IN ('queued', 'running')
  ORDER BY (q.status = 'queued') DESC LIMIT 1
)
UPDATE sync_runs s SET counted_in = target.id FROM target WHERE s.id = $1 OR s.counted_in = $1`;

// Runs whose worker stopped heartbeating (killed, lost network) are interrupted.
export const REAP = `
UPDATE sync_runs SET status = 'interrupted', ended_at = now(),
  error = jsonb_build_object('code', 'WEFT_SCHEDULER_WORKER_LOST', 'message', 'the worker ' || coalesce(worker_id, '?') || ' stopped heartbeating', 'retryable', true)
WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1::float8)
RETURNING id, attempt, trigger`;

export const SCHEDULES_FOR = `
SELECT sc.id, sc.connection_id, sc.sync_name, sc.variant, sc.state, c.connection_id AS external_id
FROM schedules sc JOIN connection_refs c ON c.id = sc.connection_id
WHERE sc.environment_id = $1 AND sc.provider_config_key = $2
  AND ($3::text[] IS NULL OR sc.sync_name = ANY($3::text[]))
  AND ($4::text IS NULL OR c.connection_id = $4)`;

// Manual control of selected schedules ($1 = their ids): pause cancels their queued runs (a
// running one finishes), resume makes them due now at the latest, a frequency override ($2
// seconds, null = the deployed frequency; $3 = time scale) brings the next run forward when sooner.
export const PAUSE_SCHEDULES = `UPDATE schedules SET state = 'paused' WHERE id = ANY($1::bigint[])`;

export const CANCEL_QUEUED_RUNS_OF_SCHEDULES = `UPDATE sync_runs SET status = 'cancelled', ended_at = now() WHERE schedule_id = ANY($1::bigint[]) AND status = 'queued'`;

export const RESUME_SCHEDULES = `UPDATE schedules SET state = 'active', next_run_at = least(next_run_at, now()) WHERE id = ANY($1::bigint[]) AND state = 'paused'`;

export const OVERRIDE_FREQUENCY = `UPDATE schedules SET frequency_override_seconds = $2,
           next_run_at = least(next_run_at, now() + make_interval(secs => coalesce($2, frequency_seconds) * $3::float8))
         WHERE id = ANY($1::bigint[])`;

export const STATUS = `
SELECT sc.id, sc.sync_name, sc.variant, sc.state, sc.next_run_at, sc.frequency_seconds, sc.frequency_override_seconds,
       c.connection_id AS external_id, c.provider_config_key,
       r.id AS run_id, r.status AS run_status, r.started_at, r.ended_at, r.counts, r.error, r.attempt, r.invalid_records,
       (SELECT count(*)::int FROM sync_runs x WHERE x.schedule_id = sc.id AND x.status IN ('queued', 'running')) AS active_runs
FROM schedules sc JOIN connection_refs c ON c.id = sc.connection_id
LEFT JOIN LATERAL (
  SELECT * FROM sync_runs r WHERE r.schedule_id = sc.id AND r.status NOT IN ('queued') ORDER BY r.created_at DESC LIMIT 1
) r ON true
WHERE sc.environment_id = $1 AND sc.provider_config_key = $2
  AND ($3::text[] IS NULL OR sc.sync_name = ANY($3::text[]))
  AND ($4::text IS NULL OR c.connection_id = $4)
ORDER BY c.connection_id, sc.sync_name`;

export const RUNS = `
SELECT r.id, r.sync_name, r.variant, r.status, r.mode, r.trigger, r.attempt, r.worker_id, r.scheduled_for, r.started_at, r.ended_at,
       r.counts, r.error, r.invalid_records, c.connection_id AS external_id
FROM sync_runs r JOIN connection_refs c ON c.id = r.connection_id
WHERE r.environment_id = $1 AND c.provider_config_key = $2
  AND ($3::text IS NULL OR r.sync_name = $3) AND ($4::text IS NULL OR c.connection_id = $4)
ORDER BY r.created_at DESC LIMIT $5`;

// A run's 10 % wide logarithmic duration class: floor(ln(ms) / ln(1.1)); null until it has ended.
// One expression for the raw query and the hourly rollups, so both classify a run alike.
const DURATION_CLASS = `floor(ln(greatest(date_part('epoch', r.ended_at - r.started_at) * 1000, 1)) / ln(1.1))::int`;

// Runs of an integration ($2, NULL = all): the schedule carries the integration's key.
const OF_INTEGRATION = `($2::text IS NULL OR r.schedule_id IN (SELECT s.id FROM schedules s WHERE s.environment_id = $1 AND s.provider_config_key = $2))`;

// Dashboard overview: runs of the window counted by time bucket, status and duration class, from
// the covering sync_runs_overview_idx for the parts of the window not rolled up (the ranges
// [$5[i], $6[i]), usually just the open hours) plus the hourly rollups of the hours $7.
// Percentiles come from these counts (run-stats.ts): a hash aggregate over few groups instead of
// sorting every duration. Arithmetic is float8 (date_part), not numeric (extract), which costs
// ~20× more per row. `bucket` is the bucket's index from the window start. $1 environment,
// $2 integration key or NULL, $3 window start (bucket-aligned), $4 bucket seconds (a rollup hour
// lies in one bucket: run-stats.ts uses rollups only for whole-hour buckets).
export const RUN_STATS = `
SELECT floor(date_part('epoch', r.created_at - $3::timestamptz) / $4::int)::int AS bucket,
       r.status, ${DURATION_CLASS} AS class, count(*)::int AS runs
FROM unnest($5::timestamptz[], $6::timestamptz[]) g(lo, hi)
JOIN sync_runs r ON r.environment_id = $1 AND r.created_at >= g.lo AND r.created_at < g.hi
WHERE r.created_at >= $3::timestamptz AND ${OF_INTEGRATION}
GROUP BY 1, 2, 3
UNION ALL
SELECT floor(date_part('epoch', h.hour - $3::timestamptz) / $4::int)::int, h.status, h.class, sum(h.runs)::int
FROM sync_run_hourly h
WHERE h.environment_id = $1 AND h.hour = ANY($7::timestamptz[]) AND ($2::text IS NULL OR h.provider_config_key = $2)
GROUP BY 1, 2, 3`;

// Records added/updated/deleted per model by the runs of the window (each run's counts). Raw runs
// are grouped by their counts first (a hash on the jsonb, from the covering index): far fewer
// distinct counts than runs, so the per-model JSON is unpacked once per distinct value, not per
// run. $1 environment, $2 integration or NULL, $3 window start, [$4[i], $5[i]) the raw ranges,
// $6 the rolled-up hours.
export const RECORD_CHANGE_STATS = `
WITH distinct_counts AS (
  SELECT r.counts, count(*) AS runs
  FROM unnest($4::timestamptz[], $5::timestamptz[]) g(lo, hi)
  JOIN sync_runs r ON r.environment_id = $1 AND r.created_at >= g.lo AND r.created_at < g.hi
  WHERE r.created_at >= $3::timestamptz AND r.counts <> '{}'::jsonb AND ${OF_INTEGRATION}
  GROUP BY r.counts
), changes AS (
  SELECT m.key AS model, d.runs * (m.value->>'added')::bigint AS added,
         d.runs * (m.value->>'updated')::bigint AS updated, d.runs * (m.value->>'deleted')::bigint AS deleted
  FROM distinct_counts d CROSS JOIN LATERAL jsonb_each(d.counts) m
  UNION ALL
  SELECT h.model, h.added, h.updated, h.deleted FROM sync_run_hourly_records h
  WHERE h.environment_id = $1 AND h.hour = ANY($6::timestamptz[]) AND ($2::text IS NULL OR h.provider_config_key = $2)
)
SELECT model, coalesce(sum(added), 0)::bigint AS added, coalesce(sum(updated), 0)::bigint AS updated,
       coalesce(sum(deleted), 0)::bigint AS deleted
FROM changes GROUP BY model ORDER BY model`;

// The environment's ($1) hours from $2 (hour-aligned) that may be rolled up and are not yet, as
// epoch milliseconds: ended more than $3 seconds ago by the database's clock, and none of their
// runs still queued or running (see run-rollups.ts for why that is exact). The run check is a
// scalar subquery on purpose: as NOT EXISTS the planner makes it an anti-join over every queued or
// running run of the table (a full scan, ~180 ms on a million runs); this way it is an index probe
// of the hour, done only for hours not rolled up yet.
const ROLLABLE = (hours: string) => `
  SELECT h.hour FROM ${hours}
  WHERE NOT EXISTS (SELECT 1 FROM sync_run_rollup_hours m WHERE m.environment_id = $1 AND m.hour = h.hour)
    AND (SELECT 1 FROM sync_runs r
         WHERE r.environment_id = $1 AND r.created_at >= h.hour AND r.created_at < h.hour + interval '1 hour'
           AND r.status IN ('queued', 'running') LIMIT 1) IS NULL`;

export const ROLLABLE_HOURS = `
SELECT (date_part('epoch', c.hour) * 1000)::float8 AS ms FROM (${ROLLABLE(
  "generate_series($2::timestamptz, now() - make_interval(secs => $3::float8) - interval '1 hour', interval '1 hour') h(hour)",
)}) c`;

// Rolls up the hours $2 (from ROLLABLE_HOURS, checked again here in this statement's snapshot) of
// environment $1, in one statement; $3 and $4 bound the runs' range so the scan stays on the
// overview index whatever plan is chosen. The markers are claimed with ON CONFLICT DO NOTHING, so
// a concurrent filler never writes an hour's counts twice.
export const ROLLUP_RUN_HOURS = `
WITH candidate AS (${ROLLABLE('unnest($2::timestamptz[]) h(hour)')}
), claimed AS (
  INSERT INTO sync_run_rollup_hours (environment_id, hour) SELECT $1, hour FROM candidate
  ON CONFLICT DO NOTHING RETURNING hour
), hour_runs AS (
  SELECT c.hour, s.provider_config_key, r.status, r.started_at, r.ended_at, r.counts
  FROM claimed c
  JOIN sync_runs r ON r.environment_id = $1 AND r.created_at >= c.hour AND r.created_at < c.hour + interval '1 hour'
  JOIN schedules s ON s.id = r.schedule_id
  WHERE r.created_at >= $3::timestamptz AND r.created_at < $4::timestamptz
), run_counts AS (
  INSERT INTO sync_run_hourly (environment_id, hour, provider_config_key, status, class, runs)
  SELECT $1, r.hour, r.provider_config_key, r.status, ${DURATION_CLASS}, count(*)::int
  FROM hour_runs r GROUP BY 2, 3, 4, 5
), distinct_counts AS (
  SELECT hour, provider_config_key, counts, count(*) AS runs FROM hour_runs
  WHERE counts <> '{}'::jsonb GROUP BY 1, 2, 3
), record_counts AS (
  INSERT INTO sync_run_hourly_records (environment_id, hour, provider_config_key, model, added, updated, deleted)
  SELECT $1, d.hour, d.provider_config_key, m.key, coalesce(sum(d.runs * (m.value->>'added')::bigint), 0),
         coalesce(sum(d.runs * (m.value->>'updated')::bigint), 0), coalesce(sum(d.runs * (m.value->>'deleted')::bigint), 0)
  FROM distinct_counts d CROSS JOIN LATERAL jsonb_each(d.counts) m GROUP BY 2, 3, 4
)
SELECT count(*)::int AS hours FROM claimed`;

// The rolled-up hours of a window whose counts are kept ($1 environment, $2 window start), as
// epoch milliseconds (the pool keeps timestamps as text).
export const ROLLED_UP_HOURS = `
SELECT (date_part('epoch', hour) * 1000)::float8 AS ms FROM sync_run_rollup_hours WHERE environment_id = $1 AND hour >= $2::timestamptz AND NOT pruned ORDER BY hour`;

// Log retention: hours that began before the cutoff ($1) may have lost runs; their counts go and
// they are read from the surviving rows from now on (the marker stays, so they are never rolled
// up again from a partly pruned hour).
export const PRUNE_RUN_ROLLUPS = `
WITH gone AS (
  UPDATE sync_run_rollup_hours SET pruned = true WHERE hour < $1::timestamptz AND NOT pruned
  RETURNING environment_id, hour
), runs AS (
  DELETE FROM sync_run_hourly h USING gone WHERE h.environment_id = gone.environment_id AND h.hour = gone.hour
), records AS (
  DELETE FROM sync_run_hourly_records h USING gone WHERE h.environment_id = gone.environment_id AND h.hour = gone.hour
)
SELECT count(*)::int AS hours FROM gone`;

// One rollup filler per environment at a time; others go on without waiting (run-rollups.ts).
export const TRY_ROLLUP_LOCK = `SELECT pg_try_advisory_xact_lock(hashtext('weft:sync-run-rollups'), $1) AS locked`;
