-- Nango's forward_webhooks (owned by @weft/auth with the rest of integrations): whether inbound
-- provider webhooks are forwarded to the customer's webhook URLs as `type: forward` events.
-- Off unless the integration asks for it (Nango's default is on; Weft's API answered false until
-- it received provider webhooks, and existing integrations keep that).
ALTER TABLE integrations ADD COLUMN forward_webhooks boolean NOT NULL DEFAULT false;
