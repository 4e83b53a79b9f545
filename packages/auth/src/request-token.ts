import pRetry, { AbortError } from 'p-retry';
import type { TokenRetry } from './auth-deps.js';
import type { OAuthClient } from './oauth-client.js';
import { tokenRequestOptions } from './oauth-client.js';
import type { ProviderDefinition } from './provider-schema.js';
import { callTokenEndpoint, TokenEndpointError, type TokenResponse } from './token-endpoint.js';

/**
 * Call the token endpoint, retrying transient failures (5xx, 429, network) with exponential
 * backoff; a permanent answer (invalid_grant, 4xx) stops at once, wrapped in p-retry's AbortError.
 */
export async function requestToken(
  retry: TokenRetry,
  client: OAuthClient,
  provider: ProviderDefinition,
  params: Record<string, string>,
  url = client.tokenUrl,
): Promise<TokenResponse> {
  return pRetry(
    async () => {
      try {
        return await callTokenEndpoint({ url, params, ...tokenRequestOptions(client, provider) });
      } catch (error) {
        if (error instanceof TokenEndpointError && !error.transient) throw new AbortError(error);
        throw error;
      }
    },
    {
      retries: retry.attempts - 1,
      minTimeout: retry.firstDelayMs,
      factor: 2,
      randomize: true,
    },
  );
}
