-- Event scripts (Nango's createOnEvent / nango.yaml `on-events`) are deployed with the syncs and
-- actions of an integration: kind 'on-event', definition.event names the event.
ALTER TABLE deployed_scripts DROP CONSTRAINT deployed_scripts_kind_check;
ALTER TABLE deployed_scripts ADD CONSTRAINT deployed_scripts_kind_check CHECK (kind IN ('sync', 'action', 'on-event'));

-- One row per event script run (logged like sync and action runs). The connection is named, not
-- referenced: a pre-connection-deletion run outlives its connection.
CREATE TABLE on_event_runs (
  id uuid PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  provider_config_key text NOT NULL,
  connection_id text NOT NULL,
  event text NOT NULL,
  script_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('success', 'failed')),
  error jsonb,
  logs jsonb NOT NULL DEFAULT '[]'::jsonb,
  created_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX on_event_runs_environment_created ON on_event_runs (environment_id, created_at);
