-- Auth's published read contract: the names of connections and integrations, without credentials,
-- config or metadata, for statements of other packages that must join them in the same round
-- trip (the scheduler's reconcile, claim and trigger; the runner's active-script lookup; the
-- records API target). Postgres inlines these views, so a join through them costs nothing more.
-- Other packages read them and never write them (test/foundation/table-owners.test.ts); while a
-- view names a column, Postgres refuses to drop or retype it, so the contract cannot drift silently.
CREATE VIEW connection_refs AS
SELECT id, environment_id, integration_id, provider_config_key, connection_id FROM connections;

CREATE VIEW integration_refs AS
SELECT id, environment_id, unique_key FROM integrations;
