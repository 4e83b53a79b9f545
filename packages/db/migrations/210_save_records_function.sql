-- batchSave of a small batch in one round trip (owned by @weft/records, called only from
-- packages/records/src/sql.ts SAVE_RECORDS). The records come as array parameters, never inside
-- SQL text: Postgres logs a failing statement's text (log_min_error_statement), slow-statement
-- logging and pg_stat_statements keep it too, and the text of `SELECT … FROM
-- weft_save_records($1, …)` holds no record. Parameters of a failing statement are not logged
-- (log_parameter_max_length_on_error defaults to 0).
--
-- Called as one statement in autocommit, the function is its own transaction: BEGIN, lock, merge,
-- COMMIT in one round trip. Atomicity: the statement commits or rolls back as a whole.
-- Visibility: a volatile plpgsql function takes a fresh snapshot for each statement it runs under
-- READ COMMITTED (the only level Weft uses), so the merge, a statement after the lock, sees every
-- writer of the (connection, model) that committed before the lock was granted and a deletion
-- snapshot opened just before, as the staged path's separate lock statement does. The lock is
-- held to commit: seq values are taken under it, so commit order equals seq order.
--
-- The merge duplicates the one in packages/records/src/sql.ts (upsertFromStaging with markSeen and
-- a run id), reading the arrays where that reads the session's staging table: a migration is
-- static SQL and the staged path (COPY, for large batches) must stay a plain statement over the
-- staging table, so the text cannot be shared. Change both together: record-store.test.ts
-- ("small … and large … batches merge alike") writes the same changes through each and compares
-- records, counts, run counts and deletion-snapshot marks.
CREATE FUNCTION weft_save_records(
  p_lock_key bigint,
  p_connection_id bigint,
  p_model text,
  p_environment_id integer,
  p_run_id text,
  p_ids text[],
  p_payloads json[],
  p_hashes text[]
) RETURNS TABLE (added integer, updated integer) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  RETURN QUERY
  WITH weft_incoming AS (
    SELECT * FROM unnest(p_ids, p_payloads, p_hashes) AS s (external_id, payload, data_hash)
  ),
  up AS (
    INSERT INTO records AS r
      (connection_id, model, external_id, environment_id, payload, data_hash, seq, first_seen_at, updated_at, last_action)
    SELECT p_connection_id, p_model, s.external_id, p_environment_id, s.payload, s.data_hash, nextval('records_seq'),
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
  ),
  seen AS (
    INSERT INTO record_snapshot_seen (snapshot_id, external_id)
    SELECT snap.id, s.external_id FROM record_snapshots snap CROSS JOIN weft_incoming s
    WHERE snap.connection_id = p_connection_id AND snap.model = p_model
    ON CONFLICT DO NOTHING
  ),
  totals AS (
    SELECT count(*) FILTER (WHERE last_action = 'ADDED')::int AS added,
           count(*) FILTER (WHERE last_action = 'UPDATED')::int AS updated
    FROM up
  ),
  counted AS (
    INSERT INTO record_run_changes AS c (run_id, model, added, updated, deleted)
    SELECT p_run_id, p_model, added, updated, 0 FROM totals WHERE p_run_id IS NOT NULL AND added + updated > 0
    ON CONFLICT (run_id, model) DO UPDATE
      SET added = c.added + EXCLUDED.added, updated = c.updated + EXCLUDED.updated
  )
  SELECT added, updated FROM totals;
END $$;
