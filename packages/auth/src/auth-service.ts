import type { ConnectionRowId } from '@weft/db';
import type { AuthDeps, AuthServiceOptions, ConnectionHooks } from './auth-deps.js';
import { resolveAuthDeps } from './auth-deps.js';
import {
  createConnectSession,
  type EndUser,
  findConnectSession,
  type IntegrationDefaults,
} from './connect-sessions.js';
import { connectWithCredentials, type EnteredCredentials } from './connect-with-credentials.js';
import { deleteConnection } from './connection-lifecycle.js';
import { findConnectionRecord, listConnectionRecords, writeMetadata } from './connections.js';
import { type Credentials, sealCredentials } from './credentials.js';
import { importConnection } from './import-connection.js';
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
import { type CallbackQuery, handleCallback } from './oauth-callback.js';
import { type ConnectionRef, getConnection } from './resolve-connection.js';
import { startOAuth } from './start-oauth.js';

export type { AuthEvent, AuthServiceOptions, ConnectionHooks } from './auth-deps.js';
export type { ConnectionRef, ResolvedConnection } from './resolve-connection.js';

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * The auth core as one object for the server, proxy and runner: integrations, connect sessions,
 * redirect flows, credentials and their refresh, connections. Each method is a module-level
 * function (see ARCHITECTURE.md, auth) called with the dependencies resolved here once.
 */
export function createAuthService(options: AuthServiceOptions) {
  const deps: AuthDeps = resolveAuthDeps(options);
  const { pool, box, providers } = deps;

  return {
    providers,
    redirectUri: deps.redirectUri,

    // --- integrations (integrations.ts) ---
    createIntegration: (environmentId: number, input: IntegrationInput) =>
      createIntegration(pool, box, providers, environmentId, input),
    listIntegrations: (environmentId: number) => listIntegrations(pool, box, providers, environmentId),
    getIntegration: (environmentId: number, uniqueKey: string) =>
      getIntegration(pool, box, providers, environmentId, uniqueKey),
    updateIntegration: (environmentId: number, uniqueKey: string, patch: Omit<Partial<IntegrationInput>, 'provider'>) =>
      updateIntegration(pool, box, providers, environmentId, uniqueKey, patch),
    deleteIntegration: (environmentId: number, uniqueKey: string) => deleteIntegration(pool, environmentId, uniqueKey),
    effectiveProvider: (integration: Integration) => effectiveProvider(providers, integration),

    // --- connect sessions (connect-sessions.ts) ---
    createConnectSession: (
      environmentId: number,
      input: {
        endUser: EndUser;
        organization?: Record<string, unknown>;
        allowedIntegrations?: string[];
        defaults?: Record<string, IntegrationDefaults>;
        /** connections.id the session re-authorises (Nango's reconnect sessions). */
        reconnectConnectionRowId?: ConnectionRowId;
      },
    ) => createConnectSession(pool, environmentId, input),
    findConnectSession: (token: string | undefined) => findConnectSession(pool, token),

    // --- connecting (start-oauth.ts, oauth-callback.ts, connect-with-credentials.ts, import-connection.ts) ---
    /** First leg of the authorization-code flow: the provider URL to send the end user to. */
    startOAuth: (sessionToken: string | undefined, uniqueKey: string, connectionConfigInput: Record<string, unknown>) =>
      startOAuth(deps, sessionToken, uniqueKey, connectionConfigInput),
    /** Second leg: exchange the code, store the credentials encrypted, create the connection. */
    handleCallback: (query: CallbackQuery) => handleCallback(deps, query),
    /** API key, basic, client credentials or no-auth connections: verified against the provider, then stored. */
    connectWithCredentials: (
      target: { sessionToken: string | undefined } | { environmentId: number; connectionId?: string },
      uniqueKey: string,
      input: EnteredCredentials,
    ) => connectWithCredentials(deps, target, uniqueKey, input),
    /** Store credentials obtained elsewhere (Nango's `POST /connection` import); not verified. */
    importConnection: (
      environmentId: number,
      uniqueKey: string,
      input: {
        connectionId: string;
        credentials: Credentials;
        connectionConfig?: Record<string, unknown>;
        metadata?: Record<string, unknown>;
      },
    ) => importConnection(deps, environmentId, uniqueKey, input),

    // --- credentials for the proxy and the runner (resolve-connection.ts, refresh-connection.ts) ---
    getConnection: (ref: ConnectionRef, opts: { forceRefresh?: boolean } = {}) => getConnection(deps, ref, opts),
    /** After a provider 401: refresh once (single-flight) and return the fresh connection. */
    refreshAfterUnauthorized: (ref: ConnectionRef) => getConnection(deps, ref, { forceRefresh: true }),

    // --- connections API (connections.ts, connection-lifecycle.ts) ---
    listConnections: (
      environmentId: number,
      filter?: { providerConfigKey?: string; endUserId?: string; search?: string },
    ) => listConnectionRecords(pool, box, environmentId, filter),
    findConnectionRecord: (ref: ConnectionRef) =>
      findConnectionRecord(pool, box, ref.environmentId, ref.providerConfigKey, ref.connectionId),
    /** Deletes the connection; its pre-connection-deletion scripts run first, while its records still exist. */
    deleteConnection: (ref: ConnectionRef) => deleteConnection(deps, ref),
    /** Wire the connection lifecycle to event scripts (validate-connection, post-connection-creation, pre-connection-deletion). */
    setConnectionHooks(next: ConnectionHooks | undefined): void {
      deps.hooks.current = next;
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
