import { AbortError } from 'p-retry';
import type { AuthDeps } from './auth-deps.js';
import { connectWithMode } from './auth-modes/connect-mode.js';
import { authModeFor } from './auth-modes/registry.js';
import { assertIntegrationAllowed, findConnectSession, sessionConnectionConfig } from './connect-sessions.js';
import { announceCreated, emitAuthEvent, validateStored } from './connection-lifecycle.js';
import { type ConnectionRecord, upsertConnection } from './connections.js';
import type { Credentials } from './credentials.js';
import { authErrors } from './errors.js';
import { clientOf, effectiveProvider, getIntegration, type Integration } from './integrations.js';
import { checkConnectionConfig, expiresAtFrom, oauthClient } from './oauth-client.js';
import { runPostConnectionSteps, tokenResponseMetadata } from './post-connection.js';
import type { ProviderDefinition } from './provider-schema.js';
import { requestToken } from './request-token.js';
import { secretConfigKeysOf } from './secondary-tokens.js';
import { exchangeError, type TokenResponse } from './token-endpoint.js';
import { verifyCredentials } from './verify-credentials.js';

/** What the end user (or the API caller) entered on the connect page. */
export interface EnteredCredentials {
  apiKey?: string;
  username?: string;
  password?: string;
  connectionConfig?: Record<string, unknown>;
  /** Values for the provider's declared `credentials` fields (TWO_STEP, JWT, SIGNATURE, …). */
  credentials?: Record<string, unknown>;
}

/**
 * API key, basic, client credentials, no-auth and mode connections (no redirect): credentials
 * obtained, verified against the provider, then stored — through a connect session, or directly
 * in an environment with an optional connection id.
 */
export async function connectWithCredentials(
  deps: AuthDeps,
  target: { sessionToken: string | undefined } | { environmentId: number; connectionId?: string },
  uniqueKey: string,
  input: EnteredCredentials,
): Promise<ConnectionRecord> {
  const { pool, box, providers } = deps;
  const session = 'sessionToken' in target ? await findConnectSession(pool, target.sessionToken) : null;
  if (session !== null) assertIntegrationAllowed(session, uniqueKey);
  const environmentId = session?.environmentId ?? ('environmentId' in target ? target.environmentId : 0);
  const integration = await getIntegration(pool, box, providers, environmentId, uniqueKey);
  const provider = effectiveProvider(providers, integration);
  const entered = sessionConnectionConfig(session, uniqueKey, input.connectionConfig ?? {}, provider);
  checkConnectionConfig(provider, uniqueKey, entered);
  const obtained = await obtainCredentials(deps, integration, provider, uniqueKey, entered, input);
  const credentials = obtained.credentials;
  let connectionConfig = obtained.connectionConfig;
  await verifyCredentials(provider, integration.provider, credentials, connectionConfig, clientOf(integration));
  const post = await runPostConnectionSteps({
    provider,
    credentials,
    connectionConfig,
    ...(credentials.type === 'OAUTH2_CC' && credentials.raw ? { tokenResponse: credentials.raw } : {}),
  });
  connectionConfig = { ...connectionConfig, ...post.connectionConfig };
  const connection = await upsertConnection(pool, box, {
    environmentId,
    integrationId: integration.id,
    providerConfigKey: uniqueKey,
    ...('connectionId' in target && target.connectionId ? { connectionId: target.connectionId } : {}),
    connectionConfig,
    endUser: (session?.endUser as Record<string, unknown> | undefined) ?? null,
    credentials,
    secretConfigKeys: secretConfigKeysOf(provider),
  });
  await validateStored(deps, connection);
  await emitAuthEvent(deps, {
    environmentId,
    type: 'auth',
    payload: {
      operation: 'creation',
      success: true,
      authMode: provider.auth_mode,
      connectionId: connection.connectionId,
      providerConfigKey: uniqueKey,
      provider: integration.provider,
      endUser: connection.endUser,
      ...(post.errors.length > 0 ? { warnings: post.errors } : {}),
    },
  });
  await announceCreated(deps, connection);
  return connection;
}

/**
 * Credentials for the provider's auth mode from what was entered: a registered mode's `connect`
 * (which may add connection config), an API key, basic auth, a client-credentials grant, or none.
 */
async function obtainCredentials(
  deps: Pick<AuthDeps, 'tokenRetry'>,
  integration: Integration,
  provider: ProviderDefinition,
  uniqueKey: string,
  connectionConfig: Record<string, unknown>,
  input: EnteredCredentials,
): Promise<{ credentials: Credentials; connectionConfig: Record<string, unknown> }> {
  const mode = authModeFor(provider.auth_mode);
  if (mode?.connect !== undefined) {
    const result = await connectWithMode(
      { ...mode, connect: mode.connect },
      {
        integration,
        provider,
        connectionConfig,
        entered: {
          ...(input.credentials ?? {}),
          ...(input.username ? { username: input.username } : {}),
          ...(input.password !== undefined ? { password: input.password } : {}),
        },
        attempts: deps.tokenRetry.attempts,
        firstDelayMs: deps.tokenRetry.firstDelayMs,
      },
    );
    Object.assign(connectionConfig, result.connectionConfig ?? {});
    return { credentials: result.credentials, connectionConfig };
  }
  if (provider.auth_mode === 'API_KEY') {
    if (!input.apiKey)
      throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
        uniqueKey,
        field: 'apiKey',
        title: 'API key',
      });
    return { credentials: { type: 'API_KEY', apiKey: input.apiKey }, connectionConfig };
  }
  if (provider.auth_mode === 'BASIC') {
    if (!input.username)
      throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
        uniqueKey,
        field: 'username',
        title: 'username',
      });
    return {
      credentials: { type: 'BASIC', username: input.username, password: input.password ?? '' },
      connectionConfig,
    };
  }
  if (provider.auth_mode === 'OAUTH2_CC') {
    const client = oauthClient(integration, provider, connectionConfig);
    let token: TokenResponse;
    try {
      token = await requestToken(deps.tokenRetry, client, provider, {
        grant_type: 'client_credentials',
        ...client.tokenParams,
        scope: client.scopes.join(client.scopeSeparator),
      });
    } catch (error) {
      throw exchangeError(
        integration.provider,
        error instanceof AbortError ? ((error as { originalError?: unknown }).originalError ?? error) : error,
      );
    }
    const expiresAt = expiresAtFrom(token.expires_in);
    return {
      credentials: {
        type: 'OAUTH2_CC',
        token: token.access_token,
        ...(expiresAt ? { expires_at: expiresAt } : {}),
        raw: token,
      },
      connectionConfig: { ...tokenResponseMetadata(provider, token), ...connectionConfig },
    };
  }
  if (provider.auth_mode === 'NONE') return { credentials: { type: 'NONE' }, connectionConfig };
  throw authErrors.create('WEFT_AUTH_UNSUPPORTED_AUTH_MODE', {
    provider: integration.provider,
    authMode: provider.auth_mode,
  });
}
