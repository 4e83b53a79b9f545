import type { Credentials, ModeCredentials, ModeName } from '../credentials.js';
import type { Integration } from '../integrations.js';
import type { ProviderDefinition } from '../provider-schema.js';
import { TokenEndpointError } from '../token-endpoint.js';

/** What a mode needs to create or renew a connection's credentials. */
export interface ModeContext {
  integration: Integration;
  /** providers.yaml entry after alias merge and integration overrides (not templated). */
  provider: ProviderDefinition;
  connectionConfig: Record<string, unknown>;
}

/** New credentials, plus connection_config values learnt on the way (token_response_metadata, installation id). */
export interface ModeResult {
  credentials: ModeCredentials;
  connectionConfig?: Record<string, unknown>;
}

/** One outgoing proxy request, for modes that sign each request (OAuth 1.0a, NetSuite TBA, AWS SigV4). */
export interface RequestToSign {
  method: string;
  /** Final URL, query included. */
  url: URL;
  /** The body as sent; `undefined` for none, a stream is passed as `'stream'` (signed as unsigned payload). */
  body: string | Buffer | 'stream' | undefined;
  /** Headers the request will carry (lower-case), so a signer can include e.g. `x-amz-target`. */
  headers: Record<string, string>;
}

/** What a signer reads: the connection's credentials and config, and the integration's app credentials. */
export interface SigningConnection {
  credentials: Credentials;
  connectionConfig: Record<string, unknown>;
  /** The integration's client id/secret (OAuth 1.0a consumer key/secret, TBA), host-side only. */
  client?: { id: string; secret: string } | undefined;
}

/**
 * One auth mode (TWO_STEP, JWT, …). Each lives in its own file; `registry.ts` lists them. The auth
 * service calls `connect` / `authorize`+`callback` to create credentials, `refresh` under the
 * connection's row lock when they are about to expire or after a 401, and the proxy calls `sign`
 * (host-side, only for the provider's own origin) for modes that sign every request.
 */
export interface AuthModeHandler {
  mode: ModeName;
  /** Credentials from values the end user entered (connect page, `POST /connect/credentials/:key`). */
  connect?(ctx: ModeContext, entered: Record<string, unknown>): Promise<ModeResult>;
  /** Redirect flows (OAuth 1.0a, GitHub App installation): the URL to send the end user to. */
  authorize?(
    ctx: ModeContext,
    flow: { redirectUri: string; state: string },
  ): Promise<{
    url: string /** Secret kept (sealed) until the callback, e.g. the request-token secret. */;
    pending?: string;
  }>;
  /** Second leg of a redirect flow. */
  callback?(
    ctx: ModeContext,
    flow: { query: Record<string, string>; pending: string | undefined; redirectUri: string },
  ): Promise<ModeResult>;
  /** Obtain fresh credentials; throw `ModeAuthError` (permanent → needs_reauth). Absent = nothing to renew. */
  refresh?(ctx: ModeContext, current: ModeCredentials): Promise<ModeResult>;
  /**
   * After the provider answered 401 and `refresh` ran: `'verify'` checks the new credentials with
   * the provider's `verification` request (self-signed tokens cannot tell a revoked key otherwise);
   * `'verify-or-revoked'` also treats the absence of such a request as revoked (OAuth 1.0a and TBA
   * tokens never expire, so a 401 means the end user or admin withdrew them). 401/403 → needs_reauth.
   */
  afterUnauthorized?: 'verify' | 'verify-or-revoked';
  /**
   * The fields the end user enters when the providers.yaml entry declares no `credentials` (Nango
   * hard-codes them for BILL and TBA).
   */
  defaultCredentialFields?: Record<string, { title: string; secret?: boolean }>;
  /** Refresh this long before `expires_at` (capped by the service's margin). */
  refreshMarginSeconds?: number;
  /** Headers that authenticate one request (called for every attempt, so nonces are never reused). */
  sign?(
    connection: SigningConnection & { credentials: ModeCredentials },
    request: RequestToSign,
  ): Record<string, string> | Promise<Record<string, string>>;
  /**
   * Default headers when the provider declares no `authorization` in `proxy.headers`.
   * @default `Authorization: Bearer <token>` when the credentials hold a token
   */
  headers?(credentials: ModeCredentials, provider: ProviderDefinition): Record<string, string>;
}

/**
 * A provider refused or failed to issue credentials. 4xx (except 408/429) is permanent: the
 * entered credentials, key or grant are wrong or revoked, so the connection needs the end user again.
 */
export class ModeAuthError extends TokenEndpointError {
  override get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/** A mode-level failure that no retry can fix (bad key format, missing field): never sent anywhere. */
export function invalidInput(reason: string): ModeAuthError {
  return new ModeAuthError(400, 'invalid_credentials', reason, null);
}
