import type { ConnectionRowId } from '@weft/db';
import type { AuthDeps } from './auth-deps.js';
import { canRefresh } from './auth-modes/registry.js';
import { type ConnectionRecord, findConnectionRecord } from './connections.js';
import type { Credentials } from './credentials.js';
import { clientOf, effectiveProvider, getIntegrationById, type Integration } from './integrations.js';
import type { ProviderDefinition } from './provider-schema.js';
import { needsRefresh, refreshSingleFlight } from './refresh-connection.js';

/** How other packages address a connection (external ids within an environment). */
export interface ConnectionRef {
  environmentId: number;
  providerConfigKey: string;
  connectionId: string;
}

/** A connection ready to call the provider with: host-side only (holds decrypted credentials). */
export interface ResolvedConnection {
  /** connections.id, the internal row id (the external id is `connectionId`). */
  id: ConnectionRowId;
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

/**
 * The connection with credentials the provider will accept: refreshed first (single-flight) when
 * they are due, or always with `forceRefresh` (after the provider answered 401).
 */
export async function getConnection(
  deps: AuthDeps,
  ref: ConnectionRef,
  opts: { forceRefresh?: boolean } = {},
): Promise<ResolvedConnection> {
  const { pool, box, providers } = deps;
  let connection = await findConnectionRecord(pool, box, ref.environmentId, ref.providerConfigKey, ref.connectionId);
  const integration = await getIntegrationById(pool, box, providers, ref.environmentId, connection.integrationId);
  const refreshable = canRefresh(connection.credentials);
  if (
    refreshable &&
    (opts.forceRefresh === true ||
      needsRefresh(deps, connection.credentials, providers.get(integration.provider) ?? undefined))
  ) {
    connection = await refreshSingleFlight(deps, connection, opts.forceRefresh === true);
  }
  return resolved(deps, connection, integration);
}

function resolved(
  deps: Pick<AuthDeps, 'providers'>,
  connection: ConnectionRecord,
  integration: Integration,
): ResolvedConnection {
  return {
    id: connection.id,
    environmentId: connection.environmentId,
    providerConfigKey: connection.providerConfigKey,
    connectionId: connection.connectionId,
    provider: effectiveProvider(deps.providers, integration),
    providerName: integration.provider,
    connectionConfig: connection.connectionConfig,
    metadata: connection.metadata,
    credentials: connection.credentials,
    authState: connection.authState,
    ...(clientOf(integration) ? { client: clientOf(integration) } : {}),
  };
}
