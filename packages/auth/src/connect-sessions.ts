import { createHash, randomBytes } from 'node:crypto';
import type { ConnectionRowId, Pool } from '@weft/db';
import { authErrors } from './errors.js';
import { withConnectionConfigDefaults } from './oauth-client.js';
import type { ProviderDefinition } from './provider-schema.js';

export interface EndUser {
  id: string;
  email?: string;
  display_name?: string;
  [key: string]: unknown;
}

/** Per-integration defaults a session applies (Nango's `integrations_config_defaults`). */
export interface IntegrationDefaults {
  connection_config?: Record<string, string>;
  authorization_params?: Record<string, string>;
}

export interface ConnectSession {
  id: number;
  environmentId: number;
  endUser: EndUser;
  organization: Record<string, unknown> | null;
  allowedIntegrations: string[] | null;
  defaults: Record<string, IntegrationDefaults>;
  /** The connection (internal row id) this session re-authorises, if it is a reconnect session. */
  reconnectConnectionRowId: ConnectionRowId | null;
  expiresAt: string;
}

/** Sessions are short-lived: long enough for a user to finish a consent screen, not a bearer key. */
export const CONNECT_SESSION_TTL_SECONDS = 30 * 60;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function createConnectSession(
  pool: Pool,
  environmentId: number,
  input: {
    endUser: EndUser;
    organization?: Record<string, unknown>;
    allowedIntegrations?: string[];
    defaults?: Record<string, IntegrationDefaults>;
    reconnectConnectionRowId?: ConnectionRowId;
  },
): Promise<{ token: string; expiresAt: string }> {
  const token = `weft_cs_${randomBytes(24).toString('base64url')}`;
  const { rows } = await pool.query<{ expires_at: string }>(
    `INSERT INTO connect_sessions (environment_id, token_hash, end_user, organization, allowed_integrations,
       integrations_config_defaults, reconnect_connection_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
     RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expires_at`,
    [
      environmentId,
      hashToken(token),
      JSON.stringify(input.endUser),
      input.organization ? JSON.stringify(input.organization) : null,
      input.allowedIntegrations ?? null,
      JSON.stringify(input.defaults ?? {}),
      input.reconnectConnectionRowId ?? null,
      CONNECT_SESSION_TTL_SECONDS,
    ],
  );
  return { token, expiresAt: rows[0]?.expires_at ?? '' };
}

/** The live session for a token; WEFT_AUTH_SESSION_INVALID when unknown or expired. */
export async function findConnectSession(pool: Pool, token: string | undefined): Promise<ConnectSession> {
  if (token === undefined || token === '') throw authErrors.create('WEFT_AUTH_SESSION_INVALID');
  const { rows } = await pool.query<{
    id: number;
    environment_id: number;
    end_user: EndUser;
    organization: Record<string, unknown> | null;
    allowed_integrations: string[] | null;
    integrations_config_defaults: Record<string, IntegrationDefaults>;
    reconnect_connection_id: ConnectionRowId | null;
    expires_at: string;
  }>(`SELECT * FROM connect_sessions WHERE token_hash = $1 AND expires_at > now()`, [hashToken(token)]);
  const row = rows[0];
  if (row === undefined) throw authErrors.create('WEFT_AUTH_SESSION_INVALID');
  return {
    id: row.id,
    environmentId: row.environment_id,
    endUser: row.end_user,
    organization: row.organization,
    allowedIntegrations: row.allowed_integrations,
    defaults: row.integrations_config_defaults,
    reconnectConnectionRowId: row.reconnect_connection_id,
    expiresAt: row.expires_at,
  };
}

export function assertIntegrationAllowed(session: ConnectSession, uniqueKey: string): void {
  if (session.allowedIntegrations !== null && !session.allowedIntegrations.includes(uniqueKey)) {
    throw authErrors.create('WEFT_AUTH_INTEGRATION_NOT_ALLOWED', { uniqueKey });
  }
}

/** The connection config a flow starts from: the session's defaults for the integration under what the user entered, the provider's default values in fields left empty. */
export function sessionConnectionConfig(
  session: ConnectSession | null,
  uniqueKey: string,
  input: Record<string, unknown>,
  provider: ProviderDefinition,
): Record<string, unknown> {
  const defaults: IntegrationDefaults = session?.defaults[uniqueKey] ?? {};
  return withConnectionConfigDefaults(provider, { ...(defaults.connection_config ?? {}), ...input });
}
