import type { SecretBox } from '@weft/core';
import type { PoolClient } from '@weft/db';
import pRetry, { AbortError } from 'p-retry';
import { type ConnectionRecord, type Row, sealConfig, toConnection } from '../connections.js';
import { expiresAtOf, type ModeCredentials, sealCredentials } from '../credentials.js';
import { TokenEndpointError } from '../token-endpoint.js';
import { type AuthModeHandler, ModeAuthError, type ModeContext, type ModeResult } from './auth-mode.js';

/** Run a mode's token request, retrying transient failures (5xx, 429, network) with backoff. */
export function withModeRetries<T>(work: () => Promise<T>, attempts: number, firstDelayMs: number): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof TokenEndpointError && !error.transient) throw new AbortError(error);
        throw error;
      }
    },
    { retries: attempts - 1, minTimeout: firstDelayMs, factor: 2, randomize: true },
  );
}

/** p-retry wraps aborted errors; callers want the provider's error itself. */
export function unwrapRetryError(error: unknown): unknown {
  return error instanceof AbortError ? ((error as { originalError?: unknown }).originalError ?? error) : error;
}

/**
 * The refresh of a mode's credentials, inside the caller's transaction that holds the
 * connection's row lock (so one process renews and the others reuse the result). A permanent
 * failure marks the connection `needs_reauth`; a transient one only records the error.
 */
export async function refreshModeCredentials(options: {
  client: PoolClient;
  box: SecretBox;
  current: ConnectionRecord;
  ctx: ModeContext;
  handler: AuthModeHandler & { refresh: NonNullable<AuthModeHandler['refresh']> };
  secretConfigKeys: readonly string[];
  attempts: number;
  firstDelayMs: number;
  /** A provider 401 asked for this refresh (see `AuthModeHandler.afterUnauthorized`). */
  forced: boolean;
  verificationStatus: (
    credentials: ModeCredentials,
    connectionConfig: Record<string, unknown>,
  ) => Promise<number | undefined>;
}): Promise<{ connection: ConnectionRecord; failure?: { permanent: boolean; reason: string } }> {
  const { client, box, current, handler } = options;
  let result: ModeResult;
  try {
    result = await withModeRetries(
      () => handler.refresh(options.ctx, current.credentials as ModeCredentials),
      options.attempts,
      options.firstDelayMs,
    );
    if (options.forced && handler.afterUnauthorized !== undefined) {
      const config = { ...current.connectionConfig, ...(result.connectionConfig ?? {}) };
      const status = await options.verificationStatus(result.credentials, config);
      if (status === undefined && handler.afterUnauthorized === 'verify-or-revoked')
        throw new ModeAuthError(
          401,
          'credentials_revoked',
          'the provider answered 401 to credentials that never expire',
          null,
        );
      if (status === 401 || status === 403)
        throw new ModeAuthError(
          status,
          'credentials_revoked',
          `the provider's verification request answered ${status}`,
          null,
        );
    }
  } catch (raw) {
    const error = unwrapRetryError(raw);
    const cause = error instanceof TokenEndpointError ? error : null;
    const reason = cause ? cause.message : (error as Error).message;
    const permanent = cause?.permanent ?? false;
    await client.query(
      `UPDATE connections SET auth_state = CASE WHEN $3 THEN 'needs_reauth' ELSE auth_state END, last_refresh_error = $2,
         updated_at = now() WHERE id = $1`,
      [current.id, reason, permanent],
    );
    return { failure: { permanent, reason }, connection: current };
  }
  const connectionConfig = { ...current.connectionConfig, ...(result.connectionConfig ?? {}) };
  const { rows } = await client.query<Row>(
    `UPDATE connections SET credentials_enc = $2, credentials_expires_at = $3, connection_config = $4, auth_state = 'ok',
       last_refresh_at = now(), last_refresh_error = NULL, updated_at = now() WHERE id = $1 RETURNING *`,
    [
      current.id,
      sealCredentials(box, result.credentials),
      expiresAtOf(result.credentials) ?? null,
      JSON.stringify(sealConfig(box, connectionConfig, options.secretConfigKeys)),
    ],
  );
  return { connection: toConnection(rows[0] as Row, box) };
}
