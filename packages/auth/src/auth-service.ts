import { createHash, randomBytes } from 'node:crypto';
import { isWeftError, outboundDispatcher, type SecretBox } from '@weft/core';
import { environmentName, type Pool, withTransaction } from '@weft/db';
import pRetry, { AbortError } from 'p-retry';
import { request } from 'undici';
import { authRequestParts } from './auth-headers.js';
import type { AuthModeHandler, ModeResult } from './auth-modes/auth-mode.js';
import { connectWithMode, finishModeFlow, startModeRedirect } from './auth-modes/connect-mode.js';
import { refreshModeCredentials } from './auth-modes/refresh-mode.js';
import { authModeFor, canRefresh, signRequest } from './auth-modes/registry.js';
import { nangoAuthPayload } from './auth-webhook.js';
import {
  assertIntegrationAllowed,
  type ConnectSession,
  createConnectSession,
  type EndUser,
  findConnectSession,
  hashToken,
  type IntegrationDefaults,
} from './connect-sessions.js';
import {
  type ConnectionRecord,
  deleteConnectionRecord,
  findConnectionRecord,
  listConnectionRecords,
  type Row,
  sealConfig,
  toConnection,
  upsertConnection,
  writeMetadata,
} from './connections.js';
import { type Credentials, expiresAtOf, sealCredentials } from './credentials.js';
import { authErrors } from './errors.js';
import {
  createIntegration,
  deleteIntegration,
  effectiveProvider,
  getIntegration,
  type Integration,
  type IntegrationInput,
  listIntegrations,
  updateIntegration,
} from './integrations.js';
import { interpolate } from './interpolate.js';
import type { ProviderCatalog } from './load-providers.js';
import {
  checkConnectionConfig,
  expiresAtFrom,
  finishAuthorizationUrl,
  type OAuthClient,
  oauthClient,
  tokenRequestOptions,
  withConnectionConfigDefaults,
} from './oauth-client.js';
import { redirectUriMetadata, runPostConnectionSteps, tokenResponseMetadata } from './post-connection.js';
import type { ProviderDefinition } from './provider-schema.js';
import { fetchSecondaryTokens } from './secondary-tokens.js';
import { callTokenEndpoint, exchangeError, TokenEndpointError, type TokenResponse } from './token-endpoint.js';

/** How other packages address a connection (external ids within an environment). */
export interface ConnectionRef {
  environmentId: number;
  providerConfigKey: string;
  connectionId: string;
}

/** A connection ready to call the provider with: host-side only (holds decrypted credentials). */
export interface ResolvedConnection {
  id: number;
  environmentId: number;
  providerConfigKey: string;
  connectionId: string;
  /** providers.yaml entry after alias merge and integration overrides, not templated. */
  provider: ProviderDefinition;
  providerName: string;
  connectionConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  credentials: Credentials;
  authState: 'ok' | 'needs_reauth';
  /** The integration's client id/secret, for modes that sign with them (OAuth 1.0a, TBA). Host-side only. */
  client?: { id: string; secret: string };
}

export interface AuthEvent {
  environmentId: number;
  type: 'auth';
  payload: Record<string, unknown>;
}

/** Called around a connection's life; the runner's event scripts implement it. */
export interface ConnectionHooks {
  /** After the connection is stored, before it is announced; throwing refuses it. */
  validate(connection: ConnectionRecord): Promise<void>;
  /** Once the connection exists (failures are the hook's to log). */
  created(connection: ConnectionRecord): Promise<void>;
  /** Before the connection and its records are deleted (failures are the hook's to log). */
  deleting(connection: ConnectionRecord): Promise<void>;
}

export interface AuthServiceOptions {
  pool: Pool;
  box: SecretBox;
  providers: ProviderCatalog;
  /** Public base URL; the OAuth redirect URI is `<publicUrl>/oauth/callback`. */
  publicUrl: string;
  /** Refresh tokens expiring within this many seconds. @default 300 */
  refreshMarginSeconds?: number;
  /** Called for connection creation, refresh failures, … (wired to the webhook outbox). */
  onEvent?: (event: AuthEvent) => Promise<void>;
  /** Attempts for transient token-endpoint failures (5xx, 429, network). @default 3 */
  refreshAttempts?: number;
  /** First retry delay in ms. @default 500 */
  refreshRetryDelayMs?: number;
}

const OAUTH_STATE_TTL_SECONDS = 600;

const pkceChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export type AuthService = ReturnType<typeof createAuthService>;

/** The auth core: integrations, connect sessions, OAuth flows, credentials and their refresh. */
export function createAuthService(options: AuthServiceOptions) {
  const { pool, box, providers } = options;
  const marginSeconds = options.refreshMarginSeconds ?? 300;
  const redirectUri = `${options.publicUrl.replace(/\/$/, '')}/oauth/callback`;
  const inFlight = new Map<number, Promise<ConnectionRecord>>();

  async function emit(event: AuthEvent): Promise<void> {
    if (options.onEvent === undefined) return;
    const environment = (await environmentName(pool, event.environmentId).catch(() => null)) ?? '';
    await options.onEvent({ ...event, payload: nangoAuthPayload(event.payload, environment) }).catch(() => {});
  }

  // Event scripts around a connection's life (set by whoever builds the runner, which needs this
  // service first). A validate hook that throws refuses a connection that did not exist before.
  let hooks: ConnectionHooks | undefined;
  async function validateStored(connection: ConnectionRecord): Promise<void> {
    if (hooks === undefined) return;
    try {
      await hooks.validate(connection);
    } catch (error) {
      if (connection.createdAt === connection.updatedAt)
        await deleteConnectionRecord(
          pool,
          connection.environmentId,
          connection.providerConfigKey,
          connection.connectionId,
        ).catch(() => {});
      throw error;
    }
  }
  async function announceCreated(connection: ConnectionRecord): Promise<void> {
    await hooks?.created(connection).catch(() => {});
  }

  async function integrationById(environmentId: number, integrationId: number): Promise<Integration> {
    const { rows } = await pool.query<{ unique_key: string }>('SELECT unique_key FROM integrations WHERE id = $1', [
      integrationId,
    ]);
    return getIntegration(pool, box, providers, environmentId, rows[0]?.unique_key ?? '');
  }

  function resolved(connection: ConnectionRecord, integration: Integration): ResolvedConnection {
    return {
      id: connection.id,
      environmentId: connection.environmentId,
      providerConfigKey: connection.providerConfigKey,
      connectionId: connection.connectionId,
      provider: effectiveProvider(providers, integration),
      providerName: integration.provider,
      connectionConfig: connection.connectionConfig,
      metadata: connection.metadata,
      credentials: connection.credentials,
      authState: connection.authState,
      ...(clientOf(integration) ? { client: clientOf(integration) } : {}),
    };
  }

  /** Due within the margin, or within the provider's own `token_expiration_buffer` when larger (Nango). */
  function needsRefresh(credentials: Credentials, provider?: ProviderDefinition): boolean {
    const expiresAt = expiresAtOf(credentials);
    if (expiresAt === undefined) return false;
    // Self-signed tokens (JWT, WSSE) live minutes and cost nothing to remake: a shorter margin.
    const modeMargin = authModeFor(credentials.type)?.refreshMarginSeconds;
    const margin =
      modeMargin !== undefined
        ? Math.min(modeMargin, marginSeconds)
        : Math.max(marginSeconds, provider?.token_expiration_buffer ?? 0);
    return Date.parse(expiresAt) - Date.now() <= margin * 1000;
  }

  async function requestToken(
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
        retries: (options.refreshAttempts ?? 3) - 1,
        minTimeout: options.refreshRetryDelayMs ?? 500,
        factor: 2,
        randomize: true,
      },
    );
  }

  /**
   * Refresh under a row lock (FOR UPDATE), so across processes one caller talks to the provider
   * and the others, once they get the lock, see the new token and reuse it. Within a process,
   * callers also share one promise so they do not queue for database connections.
   */
  function refreshSingleFlight(connection: ConnectionRecord, force: boolean): Promise<ConnectionRecord> {
    const existing = inFlight.get(connection.id);
    if (existing !== undefined) return existing;
    const askedAt = Date.now();
    const work = (async () => {
      const outcome = await withTransaction(pool, async (client) => {
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
        const integration = await integrationById(current.environmentId, current.integrationId);
        const provider = effectiveProvider(providers, integration);
        // Someone refreshed while we waited for the lock: reuse their token.
        if ((force && row.refreshed_after) || (!force && !needsRefresh(current.credentials, provider)))
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
            attempts: options.refreshAttempts ?? 3,
            firstDelayMs: options.refreshRetryDelayMs ?? 500,
          });
        }
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
            token = await requestToken(oauth, provider, {
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
      });
      if (outcome.failure !== undefined) {
        const c = outcome.connection;
        if (outcome.failure.permanent) {
          await emit({
            environmentId: c.environmentId,
            type: 'auth',
            payload: {
              operation: 'refresh',
              success: false,
              connectionId: c.connectionId,
              providerConfigKey: c.providerConfigKey,
              error: { code: 'WEFT_AUTH_NEEDS_REAUTH', message: outcome.failure.reason },
            },
          });
          throw authErrors.create('WEFT_AUTH_NEEDS_REAUTH', {
            connectionId: c.connectionId,
            reason: outcome.failure.reason,
          });
        }
        throw authErrors.create('WEFT_AUTH_REFRESH_FAILED', {
          connectionId: c.connectionId,
          reason: outcome.failure.reason,
        });
      }
      return outcome.connection;
    })();
    inFlight.set(connection.id, work);
    work.finally(() => inFlight.delete(connection.id)).catch(() => {});
    return work;
  }

  async function getConnection(ref: ConnectionRef, opts: { forceRefresh?: boolean } = {}): Promise<ResolvedConnection> {
    let connection = await findConnectionRecord(pool, box, ref.environmentId, ref.providerConfigKey, ref.connectionId);
    const integration = await integrationById(ref.environmentId, connection.integrationId);
    const refreshable = canRefresh(connection.credentials);
    if (
      refreshable &&
      (opts.forceRefresh === true ||
        needsRefresh(connection.credentials, providers.get(integration.provider) ?? undefined))
    ) {
      connection = await refreshSingleFlight(connection, opts.forceRefresh === true);
    }
    return resolved(connection, integration);
  }

  function mergedConnectionConfig(
    session: ConnectSession | null,
    uniqueKey: string,
    input: Record<string, unknown>,
    provider: ProviderDefinition,
  ): Record<string, unknown> {
    const defaults: IntegrationDefaults = session?.defaults[uniqueKey] ?? {};
    return withConnectionConfigDefaults(provider, { ...(defaults.connection_config ?? {}), ...input });
  }

  /** HTTP status of the provider's `verification` request with these credentials; undefined when none is declared. */
  async function verificationStatus(
    provider: ProviderDefinition,
    credentials: Credentials,
    connectionConfig: Record<string, unknown>,
    client?: { id: string; secret: string },
  ): Promise<number | undefined> {
    const verification = provider.proxy?.verification ?? provider.verification;
    const endpoint = verification?.endpoints?.[0] ?? verification?.endpoint;
    if (verification === undefined || endpoint === undefined) return undefined;
    const base =
      interpolate(verification.base_url_override ?? provider.proxy?.base_url ?? '', { connectionConfig }) ?? '';
    const { headers, query } = authRequestParts(provider, credentials, connectionConfig);
    const url = new URL(`${base.replace(/\/$/, '')}${endpoint.startsWith('/') ? endpoint : `/${endpoint}`}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const method = (verification.method ?? 'GET').toUpperCase();
    const sent: Record<string, string> = { ...headers, ...(verification.headers ?? {}) };
    // OAuth 1.0a, TBA, SigV4 sign the request itself.
    Object.assign(
      sent,
      await signRequest({ credentials, connectionConfig, client }, { method, url, body: undefined, headers: sent }),
    );
    let status = 0;
    try {
      const response = await request(url, { dispatcher: outboundDispatcher(), method: method as 'GET', headers: sent });
      status = response.statusCode;
      await response.body.dump();
    } catch {
      status = 0;
    }
    return status;
  }

  async function verify(
    provider: ProviderDefinition,
    providerName: string,
    credentials: Credentials,
    connectionConfig: Record<string, unknown>,
    client?: { id: string; secret: string },
  ): Promise<void> {
    const status = await verificationStatus(provider, credentials, connectionConfig, client);
    if (status !== undefined && (status < 200 || status >= 300))
      throw authErrors.create('WEFT_AUTH_VERIFICATION_FAILED', { provider: providerName, status });
  }

  /** Second leg of a mode's redirect flow (OAuth 1.0a, GitHub App): credentials, then the connection. */
  async function finishModeRedirect(
    integration: Integration,
    pending: {
      environment_id: number;
      connect_session_id: number | null;
      connection_id: string;
      connection_config: Record<string, unknown>;
      code_verifier_enc: string | null;
      redirect_uri: string;
    },
    query: Record<string, string | undefined>,
    mode: AuthModeHandler & { callback: NonNullable<AuthModeHandler['callback']> },
  ): Promise<ConnectionRecord> {
    const provider = effectiveProvider(providers, integration);
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
        pending: pending.code_verifier_enc === null ? undefined : box.open(pending.code_verifier_enc),
        redirectUri: pending.redirect_uri,
      });
    } catch (error) {
      await emit({
        environmentId: pending.environment_id,
        type: 'auth',
        payload: {
          operation: 'creation',
          success: false,
          providerConfigKey: integration.uniqueKey,
          provider: integration.provider,
          error: isWeftError(error) ? error.toJSON() : { message: String(error) },
        },
      });
      throw error;
    }
    const connectionConfig = { ...pending.connection_config, ...(result.connectionConfig ?? {}) };
    await verify(provider, integration.provider, result.credentials, connectionConfig, clientOf(integration));
    return storeRedirectedConnection({
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
  async function storeRedirectedConnection(input: {
    pending: { environment_id: number; connect_session_id: number | null; connection_id: string };
    integration: Integration;
    provider: ProviderDefinition;
    credentials: Credentials;
    connectionConfig: Record<string, unknown>;
    warnings: unknown[];
  }): Promise<ConnectionRecord> {
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
    await validateStored(connection);
    await emit({
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
    await announceCreated(connection);
    return connection;
  }

  return {
    providers,
    redirectUri,

    // --- integrations ---
    createIntegration: (environmentId: number, input: IntegrationInput) =>
      createIntegration(pool, box, providers, environmentId, input),
    listIntegrations: (environmentId: number) => listIntegrations(pool, box, providers, environmentId),
    getIntegration: (environmentId: number, uniqueKey: string) =>
      getIntegration(pool, box, providers, environmentId, uniqueKey),
    updateIntegration: (environmentId: number, uniqueKey: string, patch: Omit<Partial<IntegrationInput>, 'provider'>) =>
      updateIntegration(pool, box, providers, environmentId, uniqueKey, patch),
    deleteIntegration: (environmentId: number, uniqueKey: string) => deleteIntegration(pool, environmentId, uniqueKey),
    effectiveProvider: (integration: Integration) => effectiveProvider(providers, integration),

    // --- connect sessions ---
    createConnectSession: (
      environmentId: number,
      input: {
        endUser: EndUser;
        organization?: Record<string, unknown>;
        allowedIntegrations?: string[];
        defaults?: Record<string, IntegrationDefaults>;
        /** connections.id the session re-authorises (Nango's reconnect sessions). */
        reconnectConnectionId?: number;
      },
    ) => createConnectSession(pool, environmentId, input),
    findConnectSession: (token: string | undefined) => findConnectSession(pool, token),

    /** First leg of the authorization-code flow: the provider URL to send the end user to. */
    async startOAuth(
      sessionToken: string | undefined,
      uniqueKey: string,
      connectionConfigInput: Record<string, unknown>,
    ): Promise<string> {
      const session = await findConnectSession(pool, sessionToken);
      assertIntegrationAllowed(session, uniqueKey);
      const integration = await getIntegration(pool, box, providers, session.environmentId, uniqueKey);
      const provider = effectiveProvider(providers, integration);
      const mode = authModeFor(provider.auth_mode);
      if (provider.auth_mode !== 'OAUTH2' && mode?.authorize === undefined)
        throw authErrors.create('WEFT_AUTH_UNSUPPORTED_AUTH_MODE', {
          provider: integration.provider,
          authMode: `${provider.auth_mode} (this flow needs OAUTH2, OAUTH1, APP or CUSTOM)`,
        });
      const connectionConfig = mergedConnectionConfig(session, uniqueKey, connectionConfigInput, provider);
      checkConnectionConfig(provider, uniqueKey, connectionConfig);
      const reconnectId = async () =>
        session.reconnectConnectionId === null
          ? null
          : ((
              await pool.query<{ connection_id: string }>('SELECT connection_id FROM connections WHERE id = $1', [
                session.reconnectConnectionId,
              ])
            ).rows[0]?.connection_id ?? null);
      if (mode?.authorize !== undefined) {
        // OAuth 1.0a / GitHub App installation: the mode builds the URL; its secret waits sealed for the callback.
        const state = randomBytes(32).toString('base64url');
        const flow = await startModeRedirect(
          { ...mode, authorize: mode.authorize },
          {
            integration,
            provider,
            connectionConfig,
            redirectUri,
            state,
          },
        );
        await pool.query(
          `INSERT INTO oauth_sessions (state_hash, environment_id, connect_session_id, integration_id, connection_id, connection_config,
             code_verifier_enc, redirect_uri, scopes, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
          [
            hashToken(state),
            session.environmentId,
            session.id,
            integration.id,
            (await reconnectId()) ?? crypto.randomUUID(),
            JSON.stringify(connectionConfig),
            flow.pending === undefined ? null : box.seal(flow.pending),
            redirectUri,
            [],
            OAUTH_STATE_TTL_SECONDS,
          ],
        );
        return flow.url;
      }
      const client = oauthClient(integration, provider, connectionConfig);
      if (client.authorizationUrl === undefined) {
        throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
          uniqueKey,
          field: 'authorization_url',
          title: 'authorization URL',
        });
      }
      const state = randomBytes(32).toString('base64url');
      const verifier = client.pkce ? randomBytes(48).toString('base64url') : null;
      const reconnect =
        session.reconnectConnectionId === null
          ? null
          : ((
              await pool.query<{ connection_id: string }>('SELECT connection_id FROM connections WHERE id = $1', [
                session.reconnectConnectionId,
              ])
            ).rows[0]?.connection_id ?? null);
      await pool.query(
        `INSERT INTO oauth_sessions (state_hash, environment_id, connect_session_id, integration_id, connection_id, connection_config,
           code_verifier_enc, redirect_uri, scopes, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
        [
          hashToken(state),
          session.environmentId,
          session.id,
          integration.id,
          reconnect ?? crypto.randomUUID(),
          JSON.stringify(connectionConfig),
          verifier === null ? null : box.seal(verifier),
          redirectUri,
          client.scopes,
          OAUTH_STATE_TTL_SECONDS,
        ],
      );
      const url = new URL(client.authorizationUrl);
      const params: Record<string, string> = {
        response_type: 'code',
        ...client.authorizationParams,
        ...(session.defaults[uniqueKey]?.authorization_params ?? {}),
        client_id: client.clientId,
        redirect_uri: redirectUri,
        scope: client.scopes.join(client.scopeSeparator),
        state,
      };
      if (verifier !== null) {
        params.code_challenge = pkceChallenge(verifier);
        params.code_challenge_method = 'S256';
      }
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      return finishAuthorizationUrl(url, provider, params.scope ?? '');
    },

    /** Second leg: exchange the code, store the credentials encrypted, create the connection. */
    /** The callback's whole query: `code` (or the provider's authorization_code_param_in_callback), `state`, `error`, and any redirect_uri_metadata. */
    async handleCallback(query: {
      code?: string;
      state?: string;
      error?: string;
      error_description?: string;
      /** OAuth 1.0a (`oauth_token`, `oauth_verifier`), GitHub App (`installation_id`, `setup_action`). */
      [param: string]: string | undefined;
    }): Promise<ConnectionRecord> {
      if (query.state === undefined || query.state === '') throw authErrors.create('WEFT_AUTH_INVALID_STATE');
      // Single use: the row is consumed whatever happens next.
      const { rows } = await pool.query<{
        environment_id: number;
        integration_id: number;
        connect_session_id: number | null;
        connection_id: string;
        connection_config: Record<string, unknown>;
        code_verifier_enc: string | null;
        redirect_uri: string;
        scopes: string[];
      }>('DELETE FROM oauth_sessions WHERE state_hash = $1 AND expires_at > now() RETURNING *', [
        hashToken(query.state),
      ]);
      const pending = rows[0];
      if (pending === undefined) throw authErrors.create('WEFT_AUTH_INVALID_STATE');
      const integration = await integrationById(pending.environment_id, pending.integration_id);
      const provider = effectiveProvider(providers, integration);
      const callbackMode = authModeFor(provider.auth_mode);
      if (callbackMode?.callback !== undefined && query.error === undefined) {
        return finishModeRedirect(integration, pending, query, { ...callbackMode, callback: callbackMode.callback });
      }
      const code = query[provider.authorization_code_param_in_callback ?? 'code'];
      if (query.error !== undefined || code === undefined) {
        const reason = query.error_description ?? query.error ?? 'no authorization code';
        await emit({
          environmentId: pending.environment_id,
          type: 'auth',
          payload: {
            operation: 'creation',
            success: false,
            providerConfigKey: integration.uniqueKey,
            provider: integration.provider,
            error: { code: 'WEFT_AUTH_PROVIDER_DENIED', message: reason },
          },
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
        await emit({
          environmentId: pending.environment_id,
          type: 'auth',
          payload: {
            operation: 'creation',
            success: false,
            providerConfigKey: integration.uniqueKey,
            provider: integration.provider,
            error: weft.toJSON(),
          },
        });
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
      return storeRedirectedConnection({ pending, integration, provider, credentials, connectionConfig, warnings });
    },

    /** API key, basic, client credentials or no-auth connections: verified against the provider, then stored. */
    async connectWithCredentials(
      target: { sessionToken: string | undefined } | { environmentId: number; connectionId?: string },
      uniqueKey: string,
      input: {
        apiKey?: string;
        username?: string;
        password?: string;
        connectionConfig?: Record<string, unknown>;
        /** Values for the provider's declared `credentials` fields (TWO_STEP, JWT, SIGNATURE, …). */
        credentials?: Record<string, unknown>;
      },
    ): Promise<ConnectionRecord> {
      const session = 'sessionToken' in target ? await findConnectSession(pool, target.sessionToken) : null;
      if (session !== null) assertIntegrationAllowed(session, uniqueKey);
      const environmentId = session?.environmentId ?? ('environmentId' in target ? target.environmentId : 0);
      const integration = await getIntegration(pool, box, providers, environmentId, uniqueKey);
      const provider = effectiveProvider(providers, integration);
      let connectionConfig = mergedConnectionConfig(session, uniqueKey, input.connectionConfig ?? {}, provider);
      checkConnectionConfig(provider, uniqueKey, connectionConfig);
      let credentials: Credentials;
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
            attempts: options.refreshAttempts ?? 3,
            firstDelayMs: options.refreshRetryDelayMs ?? 500,
          },
        );
        credentials = result.credentials;
        Object.assign(connectionConfig, result.connectionConfig ?? {});
      } else if (provider.auth_mode === 'API_KEY') {
        if (!input.apiKey)
          throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
            uniqueKey,
            field: 'apiKey',
            title: 'API key',
          });
        credentials = { type: 'API_KEY', apiKey: input.apiKey };
      } else if (provider.auth_mode === 'BASIC') {
        if (!input.username)
          throw authErrors.create('WEFT_AUTH_MISSING_CONNECTION_CONFIG', {
            uniqueKey,
            field: 'username',
            title: 'username',
          });
        credentials = { type: 'BASIC', username: input.username, password: input.password ?? '' };
      } else if (provider.auth_mode === 'OAUTH2_CC') {
        const client = oauthClient(integration, provider, connectionConfig);
        let token: TokenResponse;
        try {
          token = await requestToken(client, provider, {
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
        credentials = {
          type: 'OAUTH2_CC',
          token: token.access_token,
          ...(expiresAt ? { expires_at: expiresAt } : {}),
          raw: token,
        };
        connectionConfig = { ...tokenResponseMetadata(provider, token), ...connectionConfig };
      } else if (provider.auth_mode === 'NONE') {
        credentials = { type: 'NONE' };
      } else {
        throw authErrors.create('WEFT_AUTH_UNSUPPORTED_AUTH_MODE', {
          provider: integration.provider,
          authMode: provider.auth_mode,
        });
      }
      await verify(provider, integration.provider, credentials, connectionConfig, clientOf(integration));
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
      await validateStored(connection);
      await emit({
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
      await announceCreated(connection);
      return connection;
    },

    /**
     * Store credentials obtained elsewhere (Nango's `POST /connection` import, migrations from
     * another platform). Not verified against the provider: the caller vouches for them.
     */
    async importConnection(
      environmentId: number,
      uniqueKey: string,
      input: {
        connectionId: string;
        credentials: Credentials;
        connectionConfig?: Record<string, unknown>;
        metadata?: Record<string, unknown>;
      },
    ): Promise<ConnectionRecord> {
      const integration = await getIntegration(pool, box, providers, environmentId, uniqueKey);
      const connection = await upsertConnection(pool, box, {
        environmentId,
        integrationId: integration.id,
        providerConfigKey: uniqueKey,
        connectionId: input.connectionId,
        connectionConfig: input.connectionConfig ?? {},
        credentials: input.credentials,
        secretConfigKeys: secretConfigKeysOf(effectiveProvider(providers, integration)),
      });
      if (input.metadata)
        await writeMetadata(pool, environmentId, uniqueKey, [input.connectionId], input.metadata, true);
      await announceCreated(connection);
      return connection;
    },

    // --- credentials (for the proxy and the runner) ---
    getConnection,
    /** After a provider 401: refresh once (single-flight) and return the fresh connection. */
    refreshAfterUnauthorized: (ref: ConnectionRef) => getConnection(ref, { forceRefresh: true }),

    // --- connections API ---
    listConnections: (
      environmentId: number,
      filter?: { providerConfigKey?: string; endUserId?: string; search?: string },
    ) => listConnectionRecords(pool, box, environmentId, filter),
    findConnectionRecord: (ref: ConnectionRef) =>
      findConnectionRecord(pool, box, ref.environmentId, ref.providerConfigKey, ref.connectionId),
    /** Deletes the connection; its pre-connection-deletion scripts run first, while its records still exist. */
    async deleteConnection(ref: ConnectionRef): Promise<void> {
      if (hooks !== undefined) {
        const record = await findConnectionRecord(
          pool,
          box,
          ref.environmentId,
          ref.providerConfigKey,
          ref.connectionId,
        );
        await hooks.deleting(record).catch(() => {});
      }
      await deleteConnectionRecord(pool, ref.environmentId, ref.providerConfigKey, ref.connectionId);
    },
    /** Wire the connection lifecycle to event scripts (validate-connection, post-connection-creation, pre-connection-deletion). */
    setConnectionHooks(next: ConnectionHooks | undefined): void {
      hooks = next;
    },
    setMetadata: (
      environmentId: number,
      providerConfigKey: string,
      connectionIds: string[],
      metadata: Record<string, unknown>,
    ) => writeMetadata(pool, environmentId, providerConfigKey, connectionIds, metadata, true),
    updateMetadata: (
      environmentId: number,
      providerConfigKey: string,
      connectionIds: string[],
      metadata: Record<string, unknown>,
    ) => writeMetadata(pool, environmentId, providerConfigKey, connectionIds, metadata, false),
    /** Internal: seal credentials for imports (`POST /connections`). */
    sealCredentials: (credentials: Credentials) => sealCredentials(box, credentials),
  };
}

/** The integration's app credentials for signing modes (OAuth 1.0a consumer, TBA). */
function clientOf(integration: Integration): { id: string; secret: string } | undefined {
  return integration.clientId ? { id: integration.clientId, secret: integration.clientSecret ?? '' } : undefined;
}

/** connection_config keys that hold credentials (the provider's secondary tokens). */
function secretConfigKeysOf(provider: { secondary_tokens?: Array<{ name: string }> | undefined }): string[] {
  return (provider.secondary_tokens ?? []).map((t) => t.name);
}
