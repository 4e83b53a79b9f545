-- Extra app secrets an integration can need besides its OAuth client secret: the CUSTOM mode
-- (github-app-oauth) holds both a GitHub App's OAuth client and the app itself (app_id,
-- private_key, app_link), as Nango's `custom` integration credentials. Sealed JSON, like
-- client_secret_enc; NULL for every other integration.
ALTER TABLE integrations ADD COLUMN custom_credentials_enc text;
