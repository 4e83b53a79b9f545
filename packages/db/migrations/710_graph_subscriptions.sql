-- Microsoft Graph change notification subscriptions, one per (connection, sync, resource).
-- Owned by @weft/subscriptions. The clientState Graph echoes in every notification is random per
-- subscription and stored only as its SHA-256: a leaked row cannot forge notifications.
CREATE TABLE graph_subscriptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  environment_id integer NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
  connection_id bigint NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  -- The connection's API identity, so the renewal job can call Graph through the proxy without
  -- reading the connections table (owned by auth).
  provider_config_key text NOT NULL,
  external_connection_id text NOT NULL,
  sync_name text NOT NULL,
  resource text NOT NULL,
  change_type text NOT NULL,
  -- Graph's id; null until Graph has accepted the subscription.
  subscription_id text,
  client_state_hash bytea,
  expires_at timestamptz,
  -- When the renewal job should renew it (well before expires_at).
  renew_after timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active', 'failed')),
  last_error text,
  renewals integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (connection_id, sync_name, resource)
);

CREATE UNIQUE INDEX graph_subscriptions_subscription_id ON graph_subscriptions (subscription_id)
  WHERE subscription_id IS NOT NULL;
CREATE INDEX graph_subscriptions_renew_after ON graph_subscriptions (renew_after);
