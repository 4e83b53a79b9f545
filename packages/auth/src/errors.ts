import { defineErrors } from '@weft/core';

export const authErrors = defineErrors('auth', {
  WEFT_AUTH_PROVIDERS_INVALID: {
    status: 500,
    retryable: false,
    message: 'providers file {file} is invalid: {problems}',
    fix: 'Fix each entry named in `details.problems` (file:line, provider key, field and reason), then start again.',
  },
  WEFT_AUTH_UNKNOWN_PROVIDER: {
    status: 400,
    retryable: false,
    message: 'Unknown provider {provider}',
    fix: 'Use a provider key from providers.yaml (GET /providers lists them), e.g. one-drive or azure-blob-storage.',
  },
  WEFT_AUTH_UNSUPPORTED_AUTH_MODE: {
    status: 400,
    retryable: false,
    message: 'Provider {provider} uses auth mode {authMode}, which Weft does not support yet',
    fix: 'Weft supports the auth modes listed in the README (Auth modes); MCP_* and INSTALL_PLUGIN providers cannot be connected.',
  },
  WEFT_AUTH_PROVIDER_UNSUPPORTED: {
    status: 400,
    retryable: false,
    message: 'Provider {provider} cannot be used with Weft: {reason}',
    fix: 'GET /providers/{provider} shows `weft.supported` and the reason; pick another provider, or declare what is missing in your own providers.yaml entry (e.g. `post_connection` steps).',
  },
  WEFT_AUTH_INTEGRATION_EXISTS: {
    status: 409,
    retryable: false,
    message: 'An integration {uniqueKey} already exists',
    fix: 'Choose another unique_key, or update the existing integration with PATCH /integrations/{uniqueKey}.',
  },
  WEFT_AUTH_INTEGRATION_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No integration {uniqueKey}',
    fix: 'List integrations with GET /integrations (or `weft integration list`) and use one of their keys.',
  },
  WEFT_AUTH_MISSING_CLIENT_CREDENTIALS: {
    status: 400,
    retryable: false,
    message: 'Integration {uniqueKey} ({provider}, {authMode}) needs {missing}',
    fix: 'Pass the OAuth app credentials from the provider console (client id and secret) when creating the integration.',
  },
  WEFT_AUTH_SESSION_INVALID: {
    status: 401,
    retryable: false,
    message: 'The connect session is unknown or has expired',
    fix: 'Create a new session with POST /connect/sessions and open the connect page again (sessions last 30 minutes).',
  },
  WEFT_AUTH_INTEGRATION_NOT_ALLOWED: {
    status: 403,
    retryable: false,
    message: 'Integration {uniqueKey} is not allowed in this connect session',
    fix: 'Create the session with this integration in `allowed_integrations`.',
  },
  WEFT_AUTH_MISSING_CONNECTION_CONFIG: {
    status: 400,
    retryable: false,
    message: 'Integration {uniqueKey} needs connection_config.{field} ({title})',
    fix: 'Provide every field the provider declares under connection_config (the connect page asks for them).',
  },
  WEFT_AUTH_INVALID_STATE: {
    status: 400,
    retryable: false,
    message: 'The OAuth callback state is unknown, already used or expired',
    fix: 'Start the connection again from the connect page; each authorization link works once and for 10 minutes.',
  },
  WEFT_AUTH_PROVIDER_DENIED: {
    status: 400,
    retryable: false,
    message: 'The provider refused the authorization: {reason}',
    fix: 'The end user declined or the provider rejected the request (see reason); start again from the connect page.',
  },
  WEFT_AUTH_TOKEN_EXCHANGE_FAILED: {
    status: 502,
    retryable: true,
    message: 'The token endpoint of {provider} answered {status}: {reason}',
    fix: 'Check the integration client id/secret and redirect URI registered at the provider; `details` holds the provider error.',
  },
  WEFT_AUTH_REFRESH_FAILED: {
    status: 502,
    retryable: true,
    message: 'Refreshing the token of connection {connectionId} failed: {reason}',
    fix: 'Transient provider errors are retried; if this persists check the provider status and the integration credentials.',
  },
  WEFT_AUTH_NEEDS_REAUTH: {
    status: 401,
    retryable: false,
    message: 'Connection {connectionId} must be re-authorized: {reason}',
    fix: 'The refresh token was revoked or expired (invalid_grant). Send the end user through the connect page again.',
  },
  WEFT_AUTH_VERIFICATION_FAILED: {
    status: 400,
    retryable: false,
    message: 'The credentials were rejected by {provider}: HTTP {status}',
    fix: 'Check the API key / username and password; nothing was stored.',
  },
  WEFT_AUTH_CONNECTION_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No connection {connectionId} for integration {providerConfigKey}',
    fix: 'List connections with GET /connections and pass its connection_id and provider_config_key.',
  },
  WEFT_AUTH_MISSING_CREDENTIAL: {
    status: 400,
    retryable: false,
    message: 'Integration {uniqueKey} needs credentials.{field} ({title})',
    fix: 'Provide every field the provider declares under `credentials` (the connect page asks for them); GET /providers/{name} lists them.',
  },
  WEFT_AUTH_CREDENTIALS_REJECTED: {
    status: 400,
    retryable: false,
    message: '{provider} rejected the credentials (HTTP {status}): {reason}',
    fix: 'Check the values entered (password, key, private key, account); nothing was stored. `details.provider_error` holds the provider error.',
  },
});
