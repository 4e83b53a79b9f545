import { defineErrors } from '@weft/core';

export const proxyErrors = defineErrors('proxy', {
  WEFT_PROXY_HTTP_ERROR: {
    status: 502,
    retryable: true,
    message: '{method} {url} answered HTTP {status}',
    fix: 'The provider refused the request; `details.response` holds its status and body (scripts get it as error.response, like axios).',
  },
  WEFT_PROXY_RETRIES_EXHAUSTED: {
    status: 502,
    retryable: true,
    message: '{method} {url} failed after {attempts} attempts: {reason}',
    fix: 'The provider kept failing (5xx, 429 or network errors); `details.attempts` lists each one. Try later or raise `retries`.',
  },
  WEFT_PROXY_BLOCKED_ADDRESS: {
    status: 403,
    retryable: false,
    message: 'Outbound request to {host} refused: {reason}',
    fix: 'Weft does not call private, loopback, link-local or metadata addresses. Allow-list the host (WEFT_PROXY_ALLOWED_HOSTS) or set WEFT_ALLOW_PRIVATE_NETWORK=true for on-premise APIs.',
  },
  WEFT_PROXY_NETWORK_ERROR: {
    status: 502,
    retryable: true,
    message: '{method} {url} failed: {reason}',
    fix: 'The provider could not be reached (DNS, connection refused, TLS, timeout). Check the base URL and the provider status.',
  },
  WEFT_PROXY_INVALID_REQUEST: {
    status: 400,
    retryable: false,
    message: 'Invalid proxy request: {reason}',
    fix: 'Check the endpoint, method and the Connection-Id / Provider-Config-Key headers.',
  },
  WEFT_PROXY_NO_BASE_URL: {
    status: 400,
    retryable: false,
    message: 'Provider {provider} has no proxy.base_url (or it does not resolve for this connection)',
    fix: 'Set proxy.base_url in providers.yaml or the integration overrides, fill the connection_config fields it uses, or pass baseUrlOverride.',
  },
  WEFT_PROXY_UNSUPPORTED_SCHEME: {
    status: 400,
    retryable: false,
    message: 'Refused {scheme} URL {url}: the proxy only calls http and https',
    fix: 'Use an http(s) base URL, endpoint or baseUrlOverride. A redirect to another scheme (file:, ftp:, data:) is refused the same way; it is never retried.',
  },
});
