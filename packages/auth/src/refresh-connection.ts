import { type PoolClient, withTransaction } from '@weft/db';
import type { AuthDeps } from './auth-deps.js';
import { refreshModeCredentials } from './auth-modes/refresh-mode.js';
import { authModeFor } from './auth-modes/registry.js';
import { emitAuthEvent } from './connection-lifecycle.js';
import { type ConnectionRecord, type Row, sealConfig, toConnection } from './connections.js';
import { type Credentials, expiresAtOf, sealCredentials } from './credentials.js';
import { authErrors } from './errors.js';
import { clientOf, effectiveProvider, getIntegrationById, type Integration } from './integrations.js';
import { expiresAtFrom, oauthClient } from './oauth-client.js';
import type { ProviderDefinition } from './provider-schema.js';
import { requestToken } from './request-token.js';
import { fetchSecondaryTokens, secretConfigKeysOf } from './secondary-tokens.js';
import { TokenEndpointError, type TokenResponse } from './token-endpoint.js';
import { verificationStatus } from './verify-credentials.js';

/** What a refresh under the row lock ended with: the connection as stored, and why it failed if it did. */
interface RefreshOutcome {
  connection: ConnectionRecord;
  failure?: { permanent: boolean; reason: string };
}

/** Due within the margin, or within the provider's own `token_expiration_buffer` when larger (Nango). */
export function needsRefresh(
  deps: Pick<AuthDeps, 'refreshMarginSeconds' | 'now'>,
  credentials: Credentials,
  provider?: ProviderDefinition,
): boolean {
  const expiresAt = expiresAtOf(credentials);
  if (expiresAt === undefined) return false;
  // Self-signed tokens (JWT, WSSE) live minutes and cost nothing to remake: a shorter margin.
  const modeMargin = authModeFor(credentials.type)?.refreshMarginSeconds;
  const margin =
    modeMargin !== undefined
      ? Math.min(modeMargin, deps.refreshMarginSeconds)
      : Math.max(deps.refreshMarginSeconds, provider?.token_expiration_buffer ?? 0);
  return Date.parse(expiresAt) - deps.now() <= margin * 1000;
}

/**
 * Refresh under a row lock (FOR UPDATE), so across processes one caller talks to the provider
 * and the others, once they get the lock, see the new token and reuse it. Within a process,
 * callers also share one promise so they do not queue for database connections.
 */
export function refreshSingleFlight(
  deps: AuthDeps,
  connection: ConnectionRecord,
  force: boolean,
): Promise<ConnectionRecord> {
  const existing = deps.refreshesInFlight.get(connection.id);
  if (existing !== undefined) return existing;
  const askedAt = deps.now();
  const work = (async () => {
    const outcome = await withTransaction(deps.pool, (client) =>
      refreshUnderLock(deps, client, connection, force, askedAt),
    );
    if (outcome.failure !== undefined) await throwRefreshFailure(deps, outcome.connection, outcome.failure);
    return outcome.connection;
  })();
  deps.refreshesInFlight.set(connection.id, work);
  work.finally(() => deps.refreshesInFlight.delete(connection.id)).catch(() => {});
  return work;
}

/** Inside the transaction: lock the row, and refresh unless someone else already did while we waited. */
async function refreshUnderLock(
  deps: AuthDeps,
  client: PoolClient,
  connection: ConnectionRecord,
  force: boolean,
  askedAt: number,
): Promise<RefreshOutcome> {
  const { box, providers } = deps;
  const { rows } = await client.query<Row & { refreshed_after: boolean }>(
    'SELECT *, coalesce(last_refresh_at >= to_timestamp($2 / 1000.0), false) AS refreshed_after FROM connections WHERE id = $1 FOR UPDATE',
    [connection.id, askedAt],
  );
  const row = rows[0];
  if (row === undefined)
    throw authErrors.create('WEFT_AUTH_CONNECTION_NOT_FOUND', {
      connectionId: connection.connectionId,
      providerConfigKey: connection.providerConfigKey,
    });
  const current = toConnection(row, box);
  const integration = await getIntegrationById(deps.pool, box, providers, current.environmentId, current.integrationId);
  const provider = effectiveProvider(providers, integration);
  // Someone refreshed while we waited for the lock: reuse their token.
  if ((force && row.refreshed_after) || (!force && !needsRefresh(deps, current.credentials, provider)))
    return { connection: current };
  const mode = authModeFor(current.credentials.type);
  if (mode?.refresh !== undefined) {
    return refreshModeCredentials({
      client,
      box,
      current,
      ctx: { integration, provider, connectionConfig: current.connectionConfig },
      handler: { ...mode, refresh: mode.refresh },
      forced: force,
      verificationStatus: (credentials, connectionConfig) =>
        verificationStatus(provider, credentials, connectionConfig, clientOf(integration)),
      secretConfigKeys: secretConfigKeysOf(provider),
      attempts: deps.tokenRetry.attempts,
      firstDelayMs: deps.tokenRetry.firstDelayMs,
    });
  }
  return refreshOAuthToken(deps, client, current, integration, provider);
}

/**
 * OAuth2 (refresh_token grant) and client credentials (a new client_credentials grant): ask the
 * token endpoint, fetch declared secondary tokens, store the result. A permanent refusal marks the
 * connection needs_reauth; a transient one is recorded and the old credentials stay.
 */
async function refreshOAuthToken(
  deps: AuthDeps,
  client: PoolClient,
  current: ConnectionRecord,
  integration: Integration,
  provider: ProviderDefinition,
): Promise<RefreshOutcome> {
  const { box } = deps;
  const oauth = oauthClient(integration, provider, current.connectionConfig);
  const credentials = current.credentials;
  let token: TokenResponse;
  try {
    if (credentials.type === 'OAUTH2') {
      if (credentials.refresh_token === undefined) {
        return {
          failure: {
            permanent: true,
            reason: 'the provider issued no refresh token (for Microsoft: add offline_access)',
          },
          connection: current,
        };
      }
      token = await requestToken(
        deps.tokenRetry,
        oauth,
        provider,
        {
          grant_type: 'refresh_token',
          ...oauth.refreshParams,
          // The refresh token also serves the secondary resources (SharePoint): without the
          // integration's scopes Microsoft may answer for whichever resource it served last.
          ...(provider.secondary_tokens?.length ? { scope: oauth.scopes.join(oauth.scopeSeparator) } : {}),
          refresh_token: credentials.refresh_token,
        },
        oauth.refreshUrl,
      );
    } else if (credentials.type === 'OAUTH2_CC') {
      token = await requestToken(deps.tokenRetry, oauth, provider, {
        grant_type: 'client_credentials',
        ...oauth.tokenParams,
        scope: oauth.scopes.join(oauth.scopeSeparator),
      });
    } else {
      return { connection: current };
    }
  } catch (error) {
    const cause = error instanceof TokenEndpointError ? error : null;
    const reason = cause ? cause.message : (error as Error).message;
    if (cause?.permanent) {
      await client.query(
        `UPDATE connections SET auth_state = 'needs_reauth', last_refresh_error = $2, updated_at = now() WHERE id = $1`,
        [current.id, reason],
      );
      return { failure: { permanent: true, reason }, connection: current };
    }
    await client.query('UPDATE connections SET last_refresh_error = $2, updated_at = now() WHERE id = $1', [
      current.id,
      reason,
    ]);
    return { failure: { permanent: false, reason }, connection: current };
  }
  let next: Credentials =
    credentials.type === 'OAUTH2'
      ? {
          type: 'OAUTH2',
          access_token: token.access_token,
          // Many providers omit refresh_token on refresh: the old one stays valid then.
          refresh_token: token.refresh_token ?? credentials.refresh_token,
          ...(expiresAtFrom(token.expires_in) ? { expires_at: expiresAtFrom(token.expires_in) } : {}),
          raw: token,
        }
      : {
          type: 'OAUTH2_CC',
          token: token.access_token,
          ...(expiresAtFrom(token.expires_in) ? { expires_at: expiresAtFrom(token.expires_in) } : {}),
          raw: token,
        };
  let connectionConfig = current.connectionConfig;
  if (next.type === 'OAUTH2' && provider.secondary_tokens) {
    const secondary = await fetchSecondaryTokens({
      provider,
      client: oauth,
      accessToken: next.access_token,
      refreshToken: next.refresh_token,
      grantedScopes: [...oauth.scopes, ...(token.scope?.split(' ') ?? [])],
      connectionConfig,
    });
    connectionConfig = { ...connectionConfig, ...secondary.connectionConfig };
    if (secondary.refreshToken !== undefined) next = { ...next, refresh_token: secondary.refreshToken };
  }
  const { rows: updated } = await client.query<Row>(
    `UPDATE connections SET credentials_enc = $2, credentials_expires_at = $3, connection_config = $4, auth_state = 'ok',
       last_refresh_at = now(), last_refresh_error = NULL, updated_at = now() WHERE id = $1 RETURNING *`,
    [
      current.id,
      sealCredentials(box, next),
      expiresAtOf(next) ?? null,
      JSON.stringify(sealConfig(box, connectionConfig, secretConfigKeysOf(provider))),
    ],
  );
  return { connection: toConnection(updated[0] as Row, box) };
}

/**
 * After the transaction: a permanent failure is announced (the end user must reconnect) and
 * thrown as WEFT_AUTH_NEEDS_REAUTH; a transient one as WEFT_AUTH_REFRESH_FAILED.
 */
async function throwRefreshFailure(
  deps: AuthDeps,
  connection: ConnectionRecord,
  failure: { permanent: boolean; reason: string },
): Promise<never> {
  if (failure.permanent) {
    await emitAuthEvent(deps, {
      environmentId: connection.environmentId,
      type: 'auth',
      payload: {
        operation: 'refresh',
        success: false,
        connectionId: connection.connectionId,
        providerConfigKey: connection.providerConfigKey,
        error: { code: 'WEFT_AUTH_NEEDS_REAUTH', message: failure.reason },
      },
    });
    throw authErrors.create('WEFT_AUTH_NEEDS_REAUTH', {
      connectionId: connection.connectionId,
      reason: failure.reason,
    });
  }
  throw authErrors.create('WEFT_AUTH_REFRESH_FAILED', {
    connectionId: connection.connectionId,
    reason: failure.reason,
  });
}
