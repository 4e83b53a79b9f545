-- Dashboard overview (webhook deliveries and failures over a time range): a range scan by time.
CREATE INDEX webhook_deliveries_overview_idx ON webhook_deliveries (environment_id, created_at) INCLUDE (state);
