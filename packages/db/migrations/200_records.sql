-- Records store (owned by @weft/records). One row per (connection, model, external id). The payload
-- is `json`, not jsonb: Weft writes canonical JSON text (sorted keys) and serves it back verbatim,
-- so neither the write (no jsonb build) nor the read (no jsonb_out) pays a conversion — measured
-- at ~40 % of the read query's time with jsonb. data_hash is the sha256 of that canonical text, so
-- unchanged saves are skipped in SQL.
-- `seq` is the read cursor: every change takes a fresh value from records_seq while the writer
-- holds the per-(connection, model) advisory lock, so commit order equals seq order and a reader
-- following `seq > cursor` sees every change exactly once (updated_at alone cannot give that: a
-- transaction that started earlier may commit later with an older now()).
CREATE SEQUENCE records_seq AS bigint;

-- No foreign keys on records: the two FK checks per inserted row cost ~30 % of bulk-save
-- throughput (measured with bench/records). A trigger on connections removes a deleted
-- connection's records instead (environments cascade to connections).
CREATE TABLE records (
  connection_id bigint NOT NULL,
  model text NOT NULL,
  external_id text NOT NULL,
  environment_id integer NOT NULL,
  payload json NOT NULL,
  data_hash text NOT NULL,
  seq bigint NOT NULL,
  first_seen_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_action text NOT NULL CHECK (last_action IN ('ADDED', 'UPDATED', 'DELETED')),
  deleted_at timestamptz,
  pruned_at timestamptz,
  PRIMARY KEY (connection_id, model, external_id)
);
CREATE UNIQUE INDEX records_cursor_idx ON records (connection_id, model, seq);
CREATE INDEX records_tombstones_idx ON records (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE FUNCTION records_delete_for_connection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records WHERE connection_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER connections_delete_records AFTER DELETE ON connections
  FOR EACH ROW EXECUTE FUNCTION records_delete_for_connection();

-- JSON Schema per deployed model, written by deploy; validation reads it, GET /records checks
-- the model exists for the connection's integration.
CREATE TABLE record_models (
  integration_id integer NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  model text NOT NULL,
  json_schema jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integration_id, model)
);

-- An open deletion-detection snapshot for (connection, model): trackDeletesStart opens it (or
-- restarts it), every save marks ids seen, trackDeletesEnd tombstones the unseen and closes it.
-- It outlives a run on purpose so one snapshot can span several checkpointed runs.
CREATE TABLE record_snapshots (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  model text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, model)
);

CREATE TABLE record_snapshot_seen (
  snapshot_id bigint NOT NULL REFERENCES record_snapshots (id) ON DELETE CASCADE,
  external_id text NOT NULL,
  PRIMARY KEY (snapshot_id, external_id)
);

-- Webhook outbox: events are inserted in the same transaction as the change they describe;
-- deliveries are the attempts to POST them, one row per (event, url) with its retry state.
CREATE TABLE webhook_settings (
  environment_id integer PRIMARY KEY REFERENCES environments (id) ON DELETE CASCADE,
  primary_url text,
  secondary_url text,
  secret_enc text NOT NULL,
  previous_secret_enc text,
  previous_secret_expires_at timestamptz,
  send_empty_sync_events boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_events (
  id uuid PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_env_idx ON webhook_events (environment_id, created_at);

CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  environment_id integer NOT NULL,
  url text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'exhausted')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status integer,
  last_error text,
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  replay_of bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_env_idx ON webhook_deliveries (environment_id, id);

-- One row per destination URL: consecutive failures open the circuit until open_until.
CREATE TABLE webhook_circuits (
  url text PRIMARY KEY,
  consecutive_failures integer NOT NULL DEFAULT 0,
  open_until timestamptz
);

-- Delivery log: every attempt with its outcome, for GET /webhooks/deliveries and debugging.
CREATE TABLE webhook_delivery_attempts (
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  status integer,
  error text,
  duration_ms integer NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
