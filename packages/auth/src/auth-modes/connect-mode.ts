import { isWeftError } from '@weft/core';
import { authErrors } from '../errors.js';
import { TokenEndpointError } from '../token-endpoint.js';
import type { AuthModeHandler, ModeContext, ModeResult } from './auth-mode.js';
import { unwrapRetryError, withModeRetries } from './refresh-mode.js';

/** Declared `credentials` fields the end user must fill (not optional, not automated), else the mode's own. */
export function requiredCredentialFields(
  ctx: Pick<ModeContext, 'provider'>,
  handler: Pick<AuthModeHandler, 'defaultCredentialFields'>,
): Array<[string, string]> {
  if (ctx.provider.credentials === undefined)
    return Object.entries(handler.defaultCredentialFields ?? {}).map(([name, field]) => [name, field.title]);
  return Object.entries(ctx.provider.credentials)
    .filter(([, field]) => !field.optional && !field.automated)
    .map(([name, field]) => [name, field.title ?? field.description ?? name]);
}

/**
 * Create a connection's credentials with a mode from what the end user entered: every declared
 * field present, then the mode's own exchange (retried when transient). Errors name the field or
 * carry the provider's reason, never the values.
 */
export async function connectWithMode(
  handler: AuthModeHandler & { connect: NonNullable<AuthModeHandler['connect']> },
  options: ModeContext & { entered: Record<string, unknown>; attempts: number; firstDelayMs: number },
): Promise<ModeResult> {
  const uniqueKey = options.integration.uniqueKey;
  for (const [field, title] of requiredCredentialFields(options, handler)) {
    const value = options.entered[field];
    if (value === undefined || value === null || value === '')
      throw authErrors.create('WEFT_AUTH_MISSING_CREDENTIAL', { uniqueKey, field, title });
  }
  try {
    return await withModeRetries(
      () => handler.connect(options, options.entered),
      options.attempts,
      options.firstDelayMs,
    );
  } catch (raw) {
    throw asWeftError(options.integration.provider, unwrapRetryError(raw));
  }
}

function asWeftError(provider: string, error: unknown): unknown {
  if (isWeftError(error)) return error;
  if (error instanceof TokenEndpointError && error.permanent) {
    return authErrors.create(
      'WEFT_AUTH_CREDENTIALS_REJECTED',
      { provider, status: error.status, reason: error.message },
      { provider_error: error.error },
    );
  }
  return authErrors.create('WEFT_AUTH_TOKEN_EXCHANGE_FAILED', {
    provider,
    status: error instanceof TokenEndpointError ? error.status : 0,
    reason: error instanceof Error ? error.message : String(error),
  });
}

/** First leg of a mode's redirect flow (OAuth 1.0a request token, GitHub App installation page). */
export async function startModeRedirect(
  handler: AuthModeHandler & { authorize: NonNullable<AuthModeHandler['authorize']> },
  options: ModeContext & { redirectUri: string; state: string },
): Promise<{ url: string; pending?: string }> {
  try {
    return await handler.authorize(options, { redirectUri: options.redirectUri, state: options.state });
  } catch (error) {
    throw asWeftError(options.integration.provider, error);
  }
}

/** Second leg: the provider sent the end user back with `query`. */
export async function finishModeFlow(
  handler: AuthModeHandler & { callback: NonNullable<AuthModeHandler['callback']> },
  options: ModeContext & { query: Record<string, string>; pending: string | undefined; redirectUri: string },
): Promise<ModeResult> {
  try {
    return await handler.callback(options, options);
  } catch (error) {
    throw asWeftError(options.integration.provider, error);
  }
}
