-- Actions triggered with `X-Async: true`: the caller polls GET /action/:id for the outcome.
CREATE TABLE async_actions (
  id uuid PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  action_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'success', 'failed')),
  output jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
