-- An environment isolates everything else; its secret key (hashed for lookup, sealed for display) guards the API.
CREATE TABLE environments (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  secret_key_hash text NOT NULL UNIQUE,
  secret_key_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
