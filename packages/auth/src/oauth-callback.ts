import { isWeftError } from '@weft/core';
import type { AuthDeps } from './auth-deps.js';
import type { AuthModeHandler, ModeResult } from './auth-modes/auth-mode.js';
import { finishModeFlow } from './auth-modes/connect-mode.js';
import { authModeFor } from './auth-modes/registry.js';
import { hashToken } from './connect-sessions.js';
import { announceCreated, emitAuthEvent, validateStored } from './connection-lifecycle.js';
import { type ConnectionRecord, upsertConnection } from './connections.js';
import type { Credentials } from './credentials.js';
import { authErrors } from './errors.js';
import { clientOf, effectiveProvider, getIntegrationById, type Integration } from './integrations.js';
import { expiresAtFrom, oauthClient, tokenRequestOptions } from './oauth-client.js';
import { redirectUriMetadata, runPostConnectionSteps, tokenResponseMetadata } from './post-connection.js';
import type { ProviderDefinition } from './provider-schema.js';
import { fetchSecondaryTokens, secretConfigKeysOf } from './secondary-tokens.js';
import { callTokenEndpoint, exchangeError, type TokenResponse } from './token-endpoint.js';
import { verifyCredentials } from './verify-credentials.js';

/** The callback's whole query: `code` (or the provider's authorization_code_param_in_callback), `state`, `error`, and any redirect_uri_metadata. */
export interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
  /** OAuth 1.0a (`oauth_token`, `oauth_verifier`), GitHub App (`installation_id`, `setup_action`). */
  [param: string]: string | undefined;
}

/** An oauth_sessions row, consumed by the callback. */
interface PendingFlow {
  environment_id: number;
  integration_id: number;
  connect_session_id: number | null;
  connection_id: string;
  connection_config: Record<string, unknown>;
  code_verifier_enc: string | null;
  redirect_uri: string;
  scopes: string[];
}

/**
 * Second leg of a redirect flow: consume the state, exchange the code (or let the mode finish its
 * flow), store the credentials encrypted and create — or re-authorise — the connection.
 */
export async function handleCallback(deps: AuthDeps, query: CallbackQuery): Promise<ConnectionRecord> {
  const { pool, box, providers } = deps;
  if (query.state === undefined || query.state === '') throw authErrors.create('WEFT_AUTH_INVALID_STATE');
  // Single use: the row is consumed whatever happens next.
  const { rows } = await pool.query<PendingFlow>(
    'DELETE FROM oauth_sessions WHERE state_hash = $1 AND expires_at > now() RETURNING *',
    [hashToken(query.state)],
  );
  const pending = rows[0];
  if (pending === undefined) throw authErrors.create('WEFT_AUTH_INVALID_STATE');
  const integration = await getIntegrationById(pool, box, providers, pending.environment_id, pending.integration_id);
  const provider = effectiveProvider(providers, integration);
  const callbackMode = authModeFor(provider.auth_mode);
  if (callbackMode?.callback !== undefined && query.error === undefined) {
    return finishModeRedirect(deps, integration, pending, query, { ...callbackMode, callback: callbackMode.callback });
  }
  const code = query[provider.authorization_code_param_in_callback ?? 'code'];
  if (query.error !== undefined || code === undefined) {
    const reason = query.error_description ?? query.error ?? 'no authorization code';
    await emitCreationFailed(deps, pending.environment_id, integration, {
      code: 'WEFT_AUTH_PROVIDER_DENIED',
      message: reason,
    });
    throw authErrors.create('WEFT_AUTH_PROVIDER_DENIED', { reason }, { provider_error: query.error ?? null });
  }
  // Callback parameters the provider declares (QuickBooks' realmId) may be needed by the token URL.
  const callbackMetadata = redirectUriMetadata(provider, query);
  const client = oauthClient(integration, provider, { ...callbackMetadata, ...pending.connection_config });
  let token: TokenResponse;
  try {
    token = await callTokenEndpoint({
      url: client.tokenUrl,
      params: {
        grant_type: 'authorization_code',
        ...client.tokenParams,
        code,
        redirect_uri: pending.redirect_uri,
        ...(pending.code_verifier_enc === null ? {} : { code_verifier: box.open(pending.code_verifier_enc) }),
      },
      ...tokenRequestOptions(client, provider),
    });
  } catch (error) {
    const weft = exchangeError(integration.provider, error);
    await emitCreationFailed(deps, pending.environment_id, integration, weft.toJSON());
    throw weft;
  }
  const expiresAt = expiresAtFrom(token.expires_in);
  let credentials: Credentials = {
    type: 'OAUTH2',
    access_token: token.access_token,
    ...(token.refresh_token === undefined ? {} : { refresh_token: token.refresh_token }),
    ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
    raw: token,
  };
  // As Nango: token-response and callback metadata, then what the end user entered (when not empty).
  let connectionConfig: Record<string, unknown> = {
    ...tokenResponseMetadata(provider, token),
    ...callbackMetadata,
    ...Object.fromEntries(Object.entries(pending.connection_config).filter(([, v]) => v !== '')),
  };
  const secondary = await fetchSecondaryTokens({
    provider,
    client,
    accessToken: token.access_token,
    refreshToken: token.refresh_token,
    grantedScopes: [...pending.scopes, ...(token.scope?.split(' ') ?? [])],
    connectionConfig,
  });
  connectionConfig = { ...connectionConfig, ...secondary.connectionConfig };
  if (secondary.refreshToken !== undefined) credentials = { ...credentials, refresh_token: secondary.refreshToken };
  const post = await runPostConnectionSteps({ provider, credentials, connectionConfig, tokenResponse: token });
  connectionConfig = { ...connectionConfig, ...post.connectionConfig };
  const warnings = [...secondary.errors, ...post.errors];
  return storeRedirectedConnection(deps, { pending, integration, provider, credentials, connectionConfig, warnings });
}

/** Second leg of a mode's redirect flow (OAuth 1.0a, GitHub App): credentials, then the connection. */
/** Nango's `auth` webhook for a connection attempt that failed at the callback. */
function emitCreationFailed(
  deps: AuthDeps,
  environmentId: number,
  integration: Integration,
  error: Record<string, unknown>,
): Promise<void> {
  return emitAuthEvent(deps, {
    environmentId,
    type: 'auth',
    payload: {
      operation: 'creation',
      success: false,
      providerConfigKey: integration.uniqueKey,
      provider: integration.provider,
      error,
    },
  });
}

async function finishModeRedirect(
  deps: AuthDeps,
  integration: Integration,
  pending: PendingFlow,
  query: Record<string, string | undefined>,
  mode: AuthModeHandler & { callback: NonNullable<AuthModeHandler['callback']> },
): Promise<ConnectionRecord> {
  const provider = effectiveProvider(deps.providers, integration);
  const params = Object.fromEntries(
    Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  let result: ModeResult;
  try {
    result = await finishModeFlow(mode, {
      integration,
      provider,
      connectionConfig: pending.connection_config,
      query: params,
      pending: pending.code_verifier_enc === null ? undefined : deps.box.open(pending.code_verifier_enc),
      redirectUri: pending.redirect_uri,
    });
  } catch (error) {
    await emitCreationFailed(
      deps,
      pending.environment_id,
      integration,
      isWeftError(error) ? error.toJSON() : { message: String(error) },
    );
    throw error;
  }
  const connectionConfig = { ...pending.connection_config, ...(result.connectionConfig ?? {}) };
  await verifyCredentials(provider, integration.provider, result.credentials, connectionConfig, clientOf(integration));
  return storeRedirectedConnection(deps, {
    pending,
    integration,
    provider,
    credentials: result.credentials,
    connectionConfig,
    warnings: [],
  });
}

/**
 * The end of every redirect flow (OAuth2, OAuth 1.0a, GitHub App): store the connection for the
 * pending session's end user, let validate-connection refuse it, then announce it — `override`
 * when the flow re-authorised an existing connection.
 */
async function storeRedirectedConnection(
  deps: AuthDeps,
  input: {
    pending: Pick<PendingFlow, 'environment_id' | 'connect_session_id' | 'connection_id'>;
    integration: Integration;
    provider: ProviderDefinition;
    credentials: Credentials;
    connectionConfig: Record<string, unknown>;
    warnings: unknown[];
  },
): Promise<ConnectionRecord> {
  const { pool, box } = deps;
  const { pending, integration, provider } = input;
  const session =
    pending.connect_session_id === null
      ? null
      : (
          await pool.query<{ end_user: Record<string, unknown> }>(
            'SELECT end_user FROM connect_sessions WHERE id = $1',
            [pending.connect_session_id],
          )
        ).rows[0];
  const existed =
    (
      await pool.query(
        'SELECT 1 FROM connections WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = $3',
        [pending.environment_id, integration.uniqueKey, pending.connection_id],
      )
    ).rowCount === 1;
  const connection = await upsertConnection(pool, box, {
    environmentId: pending.environment_id,
    integrationId: integration.id,
    providerConfigKey: integration.uniqueKey,
    connectionId: pending.connection_id,
    connectionConfig: input.connectionConfig,
    endUser: session?.end_user ?? null,
    credentials: input.credentials,
    secretConfigKeys: secretConfigKeysOf(provider),
  });
  await validateStored(deps, connection);
  await emitAuthEvent(deps, {
    environmentId: connection.environmentId,
    type: 'auth',
    payload: {
      operation: existed ? 'override' : 'creation',
      success: true,
      authMode: provider.auth_mode,
      connectionId: connection.connectionId,
      providerConfigKey: connection.providerConfigKey,
      provider: integration.provider,
      endUser: connection.endUser,
      ...(input.warnings.length > 0 ? { warnings: input.warnings } : {}),
    },
  });
  await announceCreated(deps, connection);
  return connection;
}
