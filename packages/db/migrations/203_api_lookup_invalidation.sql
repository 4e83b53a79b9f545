-- API processes cache what every request looks up (the environment of a secret key, the
-- connection and model a records page reads). These triggers tell every process sharing this
-- database to drop those caches when a key rotates, an environment, connection or model goes
-- away or is renamed: a NOTIFY on `weft_api_lookups`, delivered to listeners at commit.
-- Rotations and deletions are rare, so the payload is empty and listeners drop everything.
CREATE FUNCTION weft_api_lookups_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('weft_api_lookups', '');
  RETURN NULL;
END $$;

CREATE TRIGGER environments_api_lookups
  AFTER UPDATE OF secret_key_hash, name OR DELETE ON environments
  FOR EACH STATEMENT EXECUTE FUNCTION weft_api_lookups_changed();
CREATE TRIGGER connections_api_lookups
  AFTER UPDATE OF connection_id, provider_config_key, environment_id, integration_id OR DELETE ON connections
  FOR EACH STATEMENT EXECUTE FUNCTION weft_api_lookups_changed();
CREATE TRIGGER record_models_api_lookups
  AFTER DELETE OR UPDATE OF model, integration_id ON record_models
  FOR EACH STATEMENT EXECUTE FUNCTION weft_api_lookups_changed();
