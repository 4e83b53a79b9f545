import { isWeftError } from '@weft/core';
import { authErrors } from '../errors.js';
import { TokenEndpointError } from '../token-endpoint.js';
import type { AuthModeHandler, ModeContext, ModeResult } from './auth-mode.js';
import { unwrapRetryError, withModeRetries } from './refresh-mode.js';

/** Declared `credentials` fields the end user must fill (not optional, not automated). */
export function requiredCredentialFields(ctx: Pick<ModeContext, 'provider'>): Array<[string, string]> {
  return Object.entries(ctx.provider.credentials ?? {})
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
  for (const [field, title] of requiredCredentialFields(options)) {
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
    const error = unwrapRetryError(raw);
    if (isWeftError(error)) throw error;
    const provider = options.integration.provider;
    if (error instanceof TokenEndpointError && error.permanent) {
      throw authErrors.create(
        'WEFT_AUTH_CREDENTIALS_REJECTED',
        { provider, status: error.status, reason: error.message },
        { provider_error: error.error },
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw authErrors.create('WEFT_AUTH_TOKEN_EXCHANGE_FAILED', {
      provider,
      status: error instanceof TokenEndpointError ? error.status : 0,
      reason,
    });
  }
}
