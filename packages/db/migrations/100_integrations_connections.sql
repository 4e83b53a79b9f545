-- Integrations bind a provider from providers.yaml to OAuth app credentials; connections hold an
-- end user's credentials for one integration. Owned by @weft/auth; other areas reference
-- connections.id (internal) and never read credentials_enc.
CREATE TABLE integrations (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  unique_key text NOT NULL,
  provider text NOT NULL,
  display_name text,
  client_id text,
  client_secret_enc text,
  scopes text[] NOT NULL DEFAULT '{}',
  authorization_params jsonb NOT NULL DEFAULT '{}',
  overrides jsonb NOT NULL DEFAULT '{}',
  client_secret_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, unique_key)
);

CREATE TABLE connections (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  connection_id text NOT NULL,
  provider_config_key text NOT NULL,
  credentials_enc text,
  credentials_expires_at timestamptz,
  connection_config jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  end_user jsonb,
  auth_state text NOT NULL DEFAULT 'ok' CHECK (auth_state IN ('ok', 'needs_reauth')),
  last_refresh_at timestamptz,
  last_refresh_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, provider_config_key, connection_id)
);
CREATE INDEX connections_integration_idx ON connections (integration_id);
