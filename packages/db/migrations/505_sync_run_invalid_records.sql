-- Records a run stored although they do not match their model (validation policy `warn`, the
-- default): { count, records: [{ model, recordId, path, reason }] } (the first 100), shown by
-- GET /sync/status and /sync/runs and sent in the sync webhook.
ALTER TABLE sync_runs ADD COLUMN invalid_records jsonb;
