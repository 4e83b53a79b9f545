/** Plain SQL of the records store. $1 connection id, $2 model unless stated otherwise. */

// Session-scoped staging table: created once per pooled connection, emptied at every commit,
// so batches never pay catalog churn for a temp table of their own.
export const CREATE_STAGING = `
CREATE TEMP TABLE IF NOT EXISTS weft_incoming (
  external_id text NOT NULL,
  payload json NOT NULL,
  data_hash text NOT NULL
) ON COMMIT DELETE ROWS`;

export const COPY_STAGING = 'COPY weft_incoming (external_id, payload, data_hash) FROM STDIN';

export const INSERT_STAGING = `
INSERT INTO weft_incoming (external_id, payload, data_hash)
SELECT * FROM unnest($1::text[], $2::json[], $3::text[])`;

/** What the merge statement is told: SQL expressions (parameters, or literals the caller escaped). */
interface MergeTarget {
  connectionId: string;
  model: string;
  environmentId: string;
}

/**
 * The merge of the staged rows into records. weft_save_records (migration 210) holds the same
 * merge over array parameters for small batches: change both together.
 */
const upsertFromStaging = (markSeen: boolean, t: MergeTarget, runId?: string) => `
WITH up AS (
  INSERT INTO records AS r
    (connection_id, model, external_id, environment_id, payload, data_hash, seq, first_seen_at, updated_at, last_action)
  SELECT ${t.connectionId}, ${t.model}, s.external_id, ${t.environmentId}, s.payload, s.data_hash, nextval('records_seq'),
         statement_timestamp(), statement_timestamp(), 'ADDED'
  FROM weft_incoming s
  ON CONFLICT (connection_id, model, external_id) DO UPDATE
    SET payload = EXCLUDED.payload,
        data_hash = EXCLUDED.data_hash,
        seq = EXCLUDED.seq,
        updated_at = EXCLUDED.updated_at,
        last_action = CASE WHEN r.deleted_at IS NULL THEN 'UPDATED' ELSE 'ADDED' END,
        deleted_at = NULL,
        pruned_at = NULL
    WHERE r.data_hash <> EXCLUDED.data_hash OR r.deleted_at IS NOT NULL
  RETURNING r.last_action
)${
  markSeen
    ? `,
seen AS (
  INSERT INTO record_snapshot_seen (snapshot_id, external_id)
  SELECT snap.id, s.external_id FROM record_snapshots snap CROSS JOIN weft_incoming s
  WHERE snap.connection_id = ${t.connectionId} AND snap.model = ${t.model}
  ON CONFLICT DO NOTHING
)`
    : ''
},
totals AS (
  SELECT count(*) FILTER (WHERE last_action = 'ADDED')::int AS added,
         count(*) FILTER (WHERE last_action = 'UPDATED')::int AS updated
  FROM up
)${
  runId === undefined
    ? ''
    : `,
counted AS (
  INSERT INTO record_run_changes AS c (run_id, model, added, updated, deleted)
  SELECT ${runId}, ${t.model}, added, updated, 0 FROM totals WHERE added + updated > 0
  ON CONFLICT (run_id, model) DO UPDATE
    SET added = c.added + EXCLUDED.added, updated = c.updated + EXCLUDED.updated
)`
}
SELECT added, updated FROM totals`;

const PARAMS: MergeTarget = { connectionId: '$1', model: '$2', environmentId: '$3' };
/** Merge the staged rows of batchUpdate. $1 connection id, $2 model, $3 environment id. */
export const UPSERT_UPDATE = upsertFromStaging(false, PARAMS);

/**
 * batchSave's second and last round trip, one simple-protocol query of three statements: take the
 * (connection, model) lock, merge the staged rows (marking them seen by an open deletion snapshot
 * and adding the counts to the run's record_run_changes), COMMIT. The lock is its own statement so
 * the merge runs with a snapshot taken after it (READ COMMITTED: one per statement): it then sees
 * every earlier writer's rows and a deletion snapshot opened just before. Values are literals
 * escaped by the caller (the simple protocol has no parameters); the lock key is a bigint we
 * computed.
 */
export const saveLockedAndCommit = (lockKey: bigint, target: MergeTarget, runId?: string) =>
  `SELECT pg_advisory_xact_lock(${lockKey.toString()}); ${upsertFromStaging(true, target, runId)}; COMMIT`;

/**
 * batchSave of a small batch in one round trip, its rows as parameters (never in the SQL text):
 * one statement in autocommit, the function's lock + merge + counts commit as one transaction
 * (see migration 210 for why the merge still sees every earlier writer). $1 lock key,
 * $2 connection id, $3 model, $4 environment id, $5 run id or null, $6 ids, $7 payloads (json),
 * $8 data hashes. Below a few hundred rows this beats COPY: COPY costs two round trips of its own
 * and the staging table a truncation at every commit (ON COMMIT DELETE ROWS). The caller sends
 * $6–$8 as binary arrays (binary-text-array.ts): the casts fix the parameter types Postgres
 * receives them as, and each array's element type must match its cast (text, json, text).
 */
export const SAVE_RECORDS = `
SELECT added, updated
FROM weft_save_records($1::bigint, $2::bigint, $3::text, $4::integer, $5::text, $6::text[], $7::json[], $8::text[])`;

/**
 * batchSave's first round trip: BEGIN and COPY the batch into the session's staging table (created
 * first when this pooled connection has none). BEGIN and CREATE answer no rows, which the COPY
 * stream accepts before its CopyInResponse.
 */
export const beginAndCopyStaging = (createStaging: boolean) =>
  `BEGIN; ${createStaging ? `${CREATE_STAGING}; ` : ''}${COPY_STAGING}`;

export const SELECT_PAYLOADS_FOR_MERGE = `
SELECT external_id, payload FROM records
WHERE connection_id = $1 AND model = $2 AND external_id = ANY($3::text[]) AND deleted_at IS NULL`;

export const TOMBSTONE_IDS = `
UPDATE records SET deleted_at = statement_timestamp(), updated_at = statement_timestamp(),
  last_action = 'DELETED', seq = nextval('records_seq')
WHERE connection_id = $1 AND model = $2 AND external_id = ANY($3::text[]) AND deleted_at IS NULL`;

export const RESTART_SNAPSHOT_DELETE = 'DELETE FROM record_snapshots WHERE connection_id = $1 AND model = $2';
export const RESTART_SNAPSHOT_INSERT =
  'INSERT INTO record_snapshots (connection_id, model) VALUES ($1, $2) RETURNING id, started_at';

export const FIND_SNAPSHOT = 'SELECT id, started_at FROM record_snapshots WHERE connection_id = $1 AND model = $2';

// Unseen = not saved since trackDeletesStart. Ordered by external_id so seq follows a stable order.
export const TOMBSTONE_UNSEEN = `
UPDATE records r SET deleted_at = statement_timestamp(), updated_at = statement_timestamp(),
  last_action = 'DELETED', seq = nextval('records_seq')
WHERE r.connection_id = $1 AND r.model = $2 AND r.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM record_snapshot_seen seen WHERE seen.snapshot_id = $3 AND seen.external_id = r.external_id)`;

export const CLOSE_SNAPSHOT = 'DELETE FROM record_snapshots WHERE id = $1';

export const UPSERT_MODEL = `
INSERT INTO record_models (integration_id, model, json_schema) VALUES ($1, $2, $3)
ON CONFLICT (integration_id, model) DO UPDATE SET json_schema = EXCLUDED.json_schema, updated_at = now()`;

export const LIST_MODELS = 'SELECT model, json_schema FROM record_models WHERE integration_id = $1 ORDER BY model';

/**
 * One page in cursor order. $3 after-seq, $4 modified_after, $5 actions, $6 ids, $7 limit.
 * Metadata comes as one `|`-joined text column: fewer fields per row is measurably cheaper to
 * decode in node-pg at 1000 rows per page.
 */
export const READ_PAGE = `
SELECT payload::text AS payload, seq,
       first_seen_at::text || '|' || updated_at::text || '|' || last_action || '|' ||
       coalesce(deleted_at::text, '') || '|' || coalesce(pruned_at::text, '') AS meta
FROM records
WHERE connection_id = $1 AND model = $2 AND seq > $3
  AND ($4::timestamptz IS NULL OR updated_at > $4::timestamptz)
  AND ($5::text[] IS NULL OR last_action = ANY($5::text[]))
  AND ($6::text[] IS NULL OR external_id = ANY($6::text[]))
ORDER BY seq
LIMIT $7`;

/** Empty the payloads of records up to a cursor (metadata, hash and tombstones stay). $3 until-seq, $4 limit. */
export const PRUNE_UNTIL = `
UPDATE records r SET payload = json_build_object('id', r.external_id), pruned_at = statement_timestamp()
FROM (
  SELECT external_id FROM records
  WHERE connection_id = $1 AND model = $2 AND seq <= $3 AND pruned_at IS NULL
  ORDER BY seq LIMIT $4
) victims
WHERE r.connection_id = $1 AND r.model = $2 AND r.external_id = victims.external_id`;

export const PRUNE_HAS_MORE = `
SELECT EXISTS (SELECT 1 FROM records WHERE connection_id = $1 AND model = $2 AND seq <= $3 AND pruned_at IS NULL) AS more`;

/** Retention: hard-delete tombstones older than $1 days, at most $2 rows per call. */
export const PURGE_TOMBSTONES = `
DELETE FROM records WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM records WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => $1)
  LIMIT $2))`;

/** Retention: empty payloads of live records not modified for $1 days, at most $2 rows per call. */
export const PRUNE_STALE_PAYLOADS = `
UPDATE records SET payload = json_build_object('id', external_id), pruned_at = statement_timestamp()
WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM records WHERE pruned_at IS NULL AND updated_at < now() - make_interval(days => $1)
  LIMIT $2))`;

/** Add one batch's committed changes to its run's counters. $1 run id, $2 model, $3 added, $4 updated, $5 deleted. */
export const COUNT_RUN_CHANGES = `
INSERT INTO record_run_changes AS c (run_id, model, added, updated, deleted) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (run_id, model) DO UPDATE
  SET added = c.added + EXCLUDED.added, updated = c.updated + EXCLUDED.updated, deleted = c.deleted + EXCLUDED.deleted`;

/** Take (delete and sum per model) the committed changes of runs $1. */
export const TAKE_RUN_CHANGES = `
WITH taken AS (DELETE FROM record_run_changes WHERE run_id = ANY($1::text[]) RETURNING model, added, updated, deleted)
SELECT model, sum(added)::int AS added, sum(updated)::int AS updated, sum(deleted)::int AS deleted
FROM taken GROUP BY model ORDER BY model`;

// Dashboard overview: webhook deliveries of a window by time bucket (a hash aggregate; the caller
// sums the total). $1 environment, $2 integration key or NULL (from the event payload), $3 window start,
// $4 bucket seconds.
export const WEBHOOK_STATS = `
SELECT floor(date_part('epoch', d.created_at - $3::timestamptz) / $4::int)::int AS bucket,
       count(*) FILTER (WHERE d.state = 'delivered')::int AS delivered,
       count(*) FILTER (WHERE d.state = 'exhausted')::int AS failed,
       count(*) FILTER (WHERE d.state = 'pending')::int AS pending
FROM webhook_deliveries d
WHERE d.environment_id = $1 AND d.created_at >= $3::timestamptz
  AND ($2::text IS NULL OR EXISTS (
    SELECT 1 FROM webhook_events e WHERE e.id = d.event_id AND e.payload->>'providerConfigKey' = $2))
GROUP BY 1`;

// Records of one connection per model (live and tombstoned), for the dashboard's connection page:
// a walk of records_cursor_idx for that connection only.
export const RECORD_COUNTS = `
SELECT model, count(*) FILTER (WHERE deleted_at IS NULL)::bigint AS live,
       count(*) FILTER (WHERE deleted_at IS NOT NULL)::bigint AS deleted,
       max(updated_at) AS last_modified_at
FROM records WHERE connection_id = $1 GROUP BY model ORDER BY model`;

/** Reseal: the next slice of records in key order after ($1, $2, $3), $4 rows. */
export const RESEAL_SLICE = `
SELECT connection_id, model, external_id, payload::text AS payload, data_hash FROM records
WHERE (connection_id, model, external_id) > ($1::bigint, $2::text, $3::text)
ORDER BY connection_id, model, external_id LIMIT $4`;

/**
 * Reseal: new payload and hash, only where the hash is still the one read (a save in between
 * already wrote a sealed payload). seq and updated_at stay: consumers see no change.
 */
export const RESEAL_UPDATE = `
UPDATE records r SET payload = v.payload::json, data_hash = v.new_hash
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
  AS v (connection_id, model, external_id, old_hash, payload, new_hash)
WHERE r.connection_id = v.connection_id AND r.model = v.model AND r.external_id = v.external_id
  AND r.data_hash = v.old_hash`;
