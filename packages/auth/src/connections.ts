import { randomUUID } from 'node:crypto';
import type { SecretBox } from '@weft/core';
import type { ConnectionRowId, Pool, PoolClient } from '@weft/db';
import { type Credentials, expiresAtOf, openCredentials, sealCredentials } from './credentials.js';
import { authErrors } from './errors.js';

export interface ConnectionRecord {
  /** connections.id, the internal row id (the external id is `connectionId`). */
  id: ConnectionRowId;
  environmentId: number;
  integrationId: number;
  providerConfigKey: string;
  connectionId: string;
  connectionConfig: Record<string, unknown>;
  metadata: Record<string, unknown>;
  endUser: Record<string, unknown> | null;
  authState: 'ok' | 'needs_reauth';
  credentials: Credentials;
  credentialsExpiresAt: string | null;
  lastRefreshAt: string | null;
  lastRefreshError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Row {
  id: ConnectionRowId;
  environment_id: number;
  integration_id: number;
  provider_config_key: string;
  connection_id: string;
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  end_user: Record<string, unknown> | null;
  auth_state: 'ok' | 'needs_reauth';
  credentials_enc: string | null;
  credentials_expires_at: string | null;
  last_refresh_at: string | null;
  last_refresh_error: string | null;
  created_at: string;
  updated_at: string;
}

// connection_config is plain JSON (tenant, accountName, …), except values that are credentials
// themselves — secondary tokens such as SharePoint's. Those are stored sealed (AES-256-GCM) as
// { "$sealed": "…" } and opened only in memory.
const SEALED = '$sealed';

export function sealConfig(
  box: SecretBox,
  config: Record<string, unknown>,
  secretKeys: readonly string[],
): Record<string, unknown> {
  if (secretKeys.length === 0) return config;
  const sealed = { ...config };
  for (const key of secretKeys) {
    const value = sealed[key];
    if (typeof value === 'string' && value !== '') sealed[key] = { [SEALED]: box.seal(value) };
  }
  return sealed;
}

function openConfig(box: SecretBox, config: Record<string, unknown>): Record<string, unknown> {
  let opened: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(config)) {
    const sealed = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[SEALED] : undefined;
    if (typeof sealed === 'string') {
      opened ??= { ...config };
      opened[key] = box.open(sealed);
    }
  }
  return opened ?? config;
}

export function toConnection(row: Row, box: SecretBox): ConnectionRecord {
  return {
    id: row.id,
    environmentId: row.environment_id,
    integrationId: row.integration_id,
    providerConfigKey: row.provider_config_key,
    connectionId: row.connection_id,
    connectionConfig: openConfig(box, row.connection_config),
    metadata: row.metadata,
    endUser: row.end_user,
    authState: row.auth_state,
    credentials: openCredentials(box, row.credentials_enc),
    credentialsExpiresAt: row.credentials_expires_at,
    lastRefreshAt: row.last_refresh_at,
    lastRefreshError: row.last_refresh_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findConnectionRecord(
  db: Pool | PoolClient,
  box: SecretBox,
  environmentId: number,
  providerConfigKey: string,
  connectionId: string,
  lock = false,
): Promise<ConnectionRecord> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM connections WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = $3${lock ? ' FOR UPDATE' : ''}`,
    [environmentId, providerConfigKey, connectionId],
  );
  const row = rows[0];
  if (row === undefined) throw authErrors.create('WEFT_AUTH_CONNECTION_NOT_FOUND', { connectionId, providerConfigKey });
  return toConnection(row, box);
}

/** Create the connection, or replace the credentials of an existing one with the same ids (reconnect). */
export async function upsertConnection(
  db: Pool | PoolClient,
  box: SecretBox,
  input: {
    environmentId: number;
    integrationId: number;
    providerConfigKey: string;
    connectionId?: string;
    connectionConfig: Record<string, unknown>;
    endUser?: Record<string, unknown> | null;
    credentials: Credentials;
    /** connection_config keys holding credentials (secondary tokens): stored sealed. */
    secretConfigKeys?: readonly string[];
  },
): Promise<ConnectionRecord> {
  const { rows } = await db.query<Row>(
    `INSERT INTO connections (environment_id, integration_id, connection_id, provider_config_key, credentials_enc,
       credentials_expires_at, connection_config, end_user, auth_state, last_refresh_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ok', now())
     ON CONFLICT (environment_id, provider_config_key, connection_id) DO UPDATE SET
       credentials_enc = EXCLUDED.credentials_enc, credentials_expires_at = EXCLUDED.credentials_expires_at,
       connection_config = connections.connection_config || EXCLUDED.connection_config,
       end_user = coalesce(EXCLUDED.end_user, connections.end_user),
       auth_state = 'ok', last_refresh_error = NULL, last_refresh_at = now(), updated_at = now()
     RETURNING *`,
    [
      input.environmentId,
      input.integrationId,
      input.connectionId ?? randomUUID(),
      input.providerConfigKey,
      sealCredentials(box, input.credentials),
      expiresAtOf(input.credentials) ?? null,
      JSON.stringify(sealConfig(box, input.connectionConfig, input.secretConfigKeys ?? [])),
      input.endUser ? JSON.stringify(input.endUser) : null,
    ],
  );
  return toConnection(rows[0] as Row, box);
}

export async function listConnectionRecords(
  pool: Pool,
  box: SecretBox,
  environmentId: number,
  filter: { providerConfigKey?: string; endUserId?: string; search?: string } = {},
): Promise<ConnectionRecord[]> {
  const { rows } = await pool.query<Row>(
    `SELECT * FROM connections WHERE environment_id = $1
       AND ($2::text IS NULL OR provider_config_key = $2)
       AND ($3::text IS NULL OR end_user->>'id' = $3)
       -- A plain substring test: LIKE would read % and _ in the user's search as wildcards.
       AND ($4::text IS NULL OR strpos(lower(connection_id), lower($4)) > 0)
     ORDER BY created_at DESC, id DESC LIMIT 1000`,
    [environmentId, filter.providerConfigKey ?? null, filter.endUserId ?? null, filter.search ?? null],
  );
  return rows.map((row) => toConnection(row, box));
}

export async function deleteConnectionRecord(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  connectionId: string,
): Promise<void> {
  const result = await pool.query(
    'DELETE FROM connections WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = $3',
    [environmentId, providerConfigKey, connectionId],
  );
  if (result.rowCount === 0)
    throw authErrors.create('WEFT_AUTH_CONNECTION_NOT_FOUND', { connectionId, providerConfigKey });
}

/** `replace` sets the metadata; otherwise it is shallow-merged into the existing object (Nango's set vs update). */
export async function writeMetadata(
  pool: Pool,
  environmentId: number,
  providerConfigKey: string,
  connectionIds: string[],
  metadata: Record<string, unknown>,
  replace: boolean,
): Promise<void> {
  const result = await pool.query(
    `UPDATE connections SET metadata = CASE WHEN $5 THEN $4::jsonb ELSE metadata || $4::jsonb END, updated_at = now()
     WHERE environment_id = $1 AND provider_config_key = $2 AND connection_id = ANY($3::text[])`,
    [environmentId, providerConfigKey, connectionIds, JSON.stringify(metadata), replace],
  );
  if ((result.rowCount ?? 0) < connectionIds.length) {
    throw authErrors.create('WEFT_AUTH_CONNECTION_NOT_FOUND', {
      connectionId: connectionIds.join(', '),
      providerConfigKey,
    });
  }
}
