import { defineErrors } from './errors-catalog.js';

/** Errors shared by every package: configuration and the generic API shapes. */
export const coreErrors = defineErrors('core', {
  WEFT_CONFIG_INVALID: {
    status: 500,
    retryable: false,
    message: 'Invalid configuration: {problems}',
    fix: 'A setting (environment variable or flag) has a wrong value; the message names the variable and what is expected.',
  },
  WEFT_CORE_INTERNAL: {
    status: 500,
    retryable: true,
    message: 'Internal error: {reason}',
    fix: 'An unexpected failure inside Weft; the server log has the stack. Please report it.',
  },
  WEFT_API_INVALID_REQUEST: {
    status: 400,
    retryable: false,
    message: 'Invalid request: {problems}',
    fix: 'A header, query parameter or body field is missing or malformed; `details.issues` lists each one with its path.',
  },
  WEFT_API_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No route {method} {url}',
    fix: 'The path or method does not exist; check the API reference in README.md.',
  },
  WEFT_API_UNAUTHORIZED: {
    status: 401,
    retryable: false,
    message: '{reason}',
    fix: 'Send `Authorization: Bearer <secret key>`; `weft env show` prints the key of the environment.',
  },
  WEFT_API_HEADERS_TOO_LARGE: {
    status: 431,
    retryable: false,
    message: 'Request headers (with the URL) are larger than the server accepts',
    fix: 'Send fewer or shorter headers, and pass long inputs in the body instead of the URL.',
  },
  WEFT_API_URL_TOO_LONG: {
    status: 414,
    retryable: false,
    message: 'A path segment of {url} is longer than {limit} characters',
    fix: 'Ids and keys in the path are short; check the URL (pass long inputs in the body).',
  },
  WEFT_API_PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'Request body is larger than {limit} bytes',
    fix: 'Send a smaller body, or raise the limit in the server settings.',
  },
  WEFT_OUTBOUND_BLOCKED_ADDRESS: {
    status: 403,
    retryable: false,
    message: 'Outbound request to {host} refused: {reason}',
    fix: 'Weft does not call private, loopback, link-local or metadata addresses (token endpoints, verification, webhooks, alerts included). Allow-list the host (WEFT_PROXY_ALLOWED_HOSTS) or set WEFT_ALLOW_PRIVATE_NETWORK=true for on-premise services.',
  },
});
