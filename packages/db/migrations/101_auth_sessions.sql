-- Connect sessions: a developer's backend creates one per end user; its token (stored hashed)
-- lets the connect page act for that end user and only on the allowed integrations.
CREATE TABLE connect_sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  end_user jsonb NOT NULL,
  organization jsonb,
  allowed_integrations text[],
  integrations_config_defaults jsonb NOT NULL DEFAULT '{}',
  -- Set when the session re-authorizes one existing connection.
  reconnect_connection_id bigint REFERENCES connections (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One pending OAuth authorization: `state` is single use (deleted on callback) and expires.
CREATE TABLE oauth_sessions (
  state_hash text PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  connect_session_id bigint REFERENCES connect_sessions (id) ON DELETE CASCADE,
  integration_id integer NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
  connection_id text NOT NULL,
  connection_config jsonb NOT NULL DEFAULT '{}',
  code_verifier_enc text,
  redirect_uri text NOT NULL,
  scopes text[] NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_sessions_expiry_idx ON oauth_sessions (expires_at);
