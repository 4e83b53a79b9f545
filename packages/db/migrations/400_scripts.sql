-- Deployed scripts (owned by @weft/runner). Each deploy of an integration is a new version; the
-- previous one is kept (superseded) for rollback and for error traces of runs it started.
CREATE TABLE deployments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  version integer NOT NULL,
  active boolean NOT NULL DEFAULT true,
  summary jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (integration_id, version)
);
CREATE UNIQUE INDEX deployments_one_active_idx ON deployments (integration_id) WHERE active;

CREATE TABLE deployed_scripts (
  deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('sync', 'action')),
  name text NOT NULL,
  file text NOT NULL,
  bundle text NOT NULL,
  source_map text NOT NULL,
  sources jsonb NOT NULL,
  definition jsonb NOT NULL,
  PRIMARY KEY (deployment_id, kind, name)
);

-- nango.saveCheckpoint / getCheckpoint, per (connection, sync, variant).
CREATE TABLE sync_checkpoints (
  connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  sync_name text NOT NULL,
  variant text NOT NULL DEFAULT 'base',
  checkpoint jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, sync_name, variant)
);
