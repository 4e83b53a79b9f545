-- Inbound provider webhooks (owned by @weft/scheduler). Every notification a provider POSTs to
-- /webhook/<environment>/<integration> is one row here, committed before the request is
-- acknowledged: a crash between receipt and processing loses nothing (the row waits, a worker
-- claims it after the restart). `dedupe_key` is the provider's delivery id or a hash of the
-- notification, so a duplicate delivery finds its row and is not processed again.
CREATE TABLE provider_webhooks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  provider_config_key text NOT NULL,
  provider text NOT NULL,
  dedupe_key text NOT NULL,
  -- The notification (one element of a batch), and the request's headers (lower-case names) that
  -- verification and forwarding need.
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'processing', 'processed', 'refused', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Who is processing it and since when: a claim older than the lease belongs to a dead worker.
  claimed_by text,
  claimed_at timestamptz,
  -- Targets (connection:sync) whose handler run already committed, so a retry runs only the rest;
  -- then what processing decided (connections, runs, refusal reason).
  done_targets text[] NOT NULL DEFAULT '{}',
  outcome jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  UNIQUE (environment_id, integration_id, dedupe_key)
);
-- The sweep after a restart: rows not yet processed, oldest first.
CREATE INDEX provider_webhooks_pending_idx ON provider_webhooks (received_at) WHERE status IN ('received', 'processing');

-- A handler run (onWebhook) is a sync run with trigger 'webhook'; it names the notification it handled.
ALTER TABLE sync_runs ADD COLUMN webhook_id bigint;
