import { createHash, randomBytes } from 'node:crypto';
import type { AuthDeps } from './auth-deps.js';
import { startModeRedirect } from './auth-modes/connect-mode.js';
import { authModeFor } from './auth-modes/registry.js';
import {
  assertIntegrationAllowed,
  type ConnectSession,
  findConnectSession,
  hashToken,
  sessionConnectionConfig,
} from './connect-sessions.js';
import { authErrors } from './errors.js';
import { effectiveProvider, getIntegration, type Integration } from './integrations.js';
import { checkConnectionConfig, finishAuthorizationUrl, oauthClient } from './oauth-client.js';

/** How long the end user has to come back from the provider's consent screen. */
const OAUTH_STATE_TTL_SECONDS = 600;

const pkceChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * First leg of a redirect flow: the provider URL to send the end user to. The state (hashed), the
 * connection id it will create or re-authorise and any secret for the second leg (PKCE verifier,
 * OAuth 1.0a request-token secret) wait sealed in oauth_sessions for `handleCallback`.
 */
export async function startOAuth(
  deps: AuthDeps,
  sessionToken: string | undefined,
  uniqueKey: string,
  connectionConfigInput: Record<string, unknown>,
): Promise<string> {
  const { pool, box, providers, redirectUri } = deps;
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
  const connectionConfig = sessionConnectionConfig(session, uniqueKey, connectionConfigInput, provider);
  checkConnectionConfig(provider, uniqueKey, connectionConfig);
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
    await saveOAuthSession(deps, {
      state,
      session,
      integration,
      connectionConfig,
      secret: flow.pending ?? null,
      scopes: [],
    });
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
  await saveOAuthSession(deps, {
    state,
    session,
    integration,
    connectionConfig,
    secret: verifier,
    scopes: client.scopes,
  });
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
}

/**
 * Remember the flow until the callback: a reconnect session re-authorises its connection (same
 * external id), any other gets a fresh one. `secret` is stored sealed (PKCE verifier, OAuth 1.0a
 * token secret).
 */
async function saveOAuthSession(
  deps: Pick<AuthDeps, 'pool' | 'box' | 'redirectUri'>,
  input: {
    state: string;
    session: ConnectSession;
    integration: Integration;
    connectionConfig: Record<string, unknown>;
    secret: string | null;
    scopes: string[];
  },
): Promise<void> {
  const { pool, box } = deps;
  const { session } = input;
  const reconnect =
    session.reconnectConnectionRowId === null
      ? null
      : ((
          await pool.query<{ connection_id: string }>('SELECT connection_id FROM connections WHERE id = $1', [
            session.reconnectConnectionRowId,
          ])
        ).rows[0]?.connection_id ?? null);
  await pool.query(
    `INSERT INTO oauth_sessions (state_hash, environment_id, connect_session_id, integration_id, connection_id, connection_config,
       code_verifier_enc, redirect_uri, scopes, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
    [
      hashToken(input.state),
      session.environmentId,
      session.id,
      input.integration.id,
      reconnect ?? crypto.randomUUID(),
      JSON.stringify(input.connectionConfig),
      input.secret === null ? null : box.seal(input.secret),
      deps.redirectUri,
      input.scopes,
      OAUTH_STATE_TTL_SECONDS,
    ],
  );
}
