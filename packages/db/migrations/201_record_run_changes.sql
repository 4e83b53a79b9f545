-- Committed record changes per sync run and model (owned by @weft/records). Each batch adds to its
-- run's row in the same transaction as the records it changed, so a run's counts never depend on
-- the memory of the process that ran it: after a kill -9 the retry reports what was committed by
-- every interrupted attempt plus its own. Rows are taken (deleted) when the run's outcome is written.
CREATE TABLE record_run_changes (
  run_id text NOT NULL,
  model text NOT NULL,
  added integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  deleted integer NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, model)
);
