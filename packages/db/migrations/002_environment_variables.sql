-- Variables a developer sets per environment for their scripts (Nango's "environment variables",
-- read with nango.getEnvironmentVariables()). Values are sealed with the encryption key: they are
-- often API keys.
CREATE TABLE environment_variables (
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  name text NOT NULL,
  value_enc text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (environment_id, name)
);
