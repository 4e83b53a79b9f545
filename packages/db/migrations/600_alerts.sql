-- Alert incidents (owned by the scheduler's alerter): one row per open problem, so each incident
-- sends one message however many retries or scans see it; resolved when the condition clears.
CREATE TABLE alert_incidents (
  key text PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  kind text NOT NULL,
  summary text NOT NULL,
  link text,
  opened_at timestamptz NOT NULL DEFAULT now(),
  notified_at timestamptz,
  resolved_at timestamptz
);
CREATE INDEX alert_incidents_open_idx ON alert_incidents (kind) WHERE resolved_at IS NULL;
