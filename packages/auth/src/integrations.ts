import type { SecretBox } from '@weft/core';
import type { Pool } from '@weft/db';
import { authErrors } from './errors.js';
import { mergeProvider, type ProviderCatalog } from './load-providers.js';
import {
  type ProviderDefinition,
  providerSchema,
  type SupportedAuthMode,
  supportedAuthModes,
} from './provider-schema.js';

export interface Integration {
  id: number;
  environmentId: number;
  uniqueKey: string;
  provider: string;
  displayName: string;
  authMode: SupportedAuthMode;
  clientId: string | null;
  /** Decrypted; only handed out when the caller asked for credentials. */
  clientSecret: string | null;
  scopes: string[];
  authorizationParams: Record<string, string>;
  /** Deep-merged over the provider entry (URLs for national clouds, tests, …). */
  overrides: Record<string, unknown>;
  clientSecretExpiresAt: string | null;
  /**
   * Nango's `custom` integration credentials, decrypted (sealed at rest like the client secret):
   * CUSTOM (github-app-oauth) keeps the GitHub App's `app_id`, `private_key` and `app_link` here,
   * next to the app's OAuth client id/secret. `null` when none.
   */
  custom: IntegrationCustomCredentials | null;
  /** Inbound provider webhooks are forwarded to the customer as `type: forward` events (Nango's forward_webhooks). */
  forwardWebhooks: boolean;
  createdAt: string;
  updatedAt: string;
  /** Things the developer should act on (secret expiry, missing offline_access). */
  warnings: string[];
}

/** The app secrets CUSTOM needs besides the OAuth client (Nango's names). */
export interface IntegrationCustomCredentials {
  app_id?: string;
  private_key?: string;
  /** `https://github.com/apps/<slug>`: where the end user installs the app. */
  app_link?: string;
}

export interface IntegrationInput {
  uniqueKey: string;
  provider: string;
  displayName?: string;
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
  authorizationParams?: Record<string, string>;
  overrides?: Record<string, unknown>;
  clientSecretExpiresAt?: string | null;
  /** Merged key by key over the stored ones on update. */
  custom?: IntegrationCustomCredentials;
  /** Forward inbound provider webhooks to the customer (Nango's forward_webhooks). @default false */
  forwardWebhooks?: boolean;
}

interface Row {
  id: number;
  environment_id: number;
  unique_key: string;
  provider: string;
  display_name: string | null;
  client_id: string | null;
  client_secret_enc: string | null;
  scopes: string[];
  authorization_params: Record<string, string>;
  overrides: Record<string, unknown>;
  client_secret_expires_at: string | null;
  custom_credentials_enc: string | null;
  forward_webhooks: boolean;
  secret_expires_in_days: number | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, environment_id, unique_key, provider, display_name, client_id, client_secret_enc, scopes,
  authorization_params, overrides, client_secret_expires_at, custom_credentials_enc, forward_webhooks, created_at, updated_at,
  floor(extract(epoch FROM client_secret_expires_at - now()) / 86400)::int AS secret_expires_in_days`;

/** Days before client_secret_expires_at when status output starts warning. */
export const SECRET_EXPIRY_WARNING_DAYS = 30;

/** The provider entry with the integration's overrides applied (not templated yet). */
export function effectiveProvider(
  catalog: ProviderCatalog,
  integration: Pick<Integration, 'provider' | 'overrides'>,
): ProviderDefinition {
  const base = catalog.get(integration.provider);
  if (base === undefined) throw authErrors.create('WEFT_AUTH_UNKNOWN_PROVIDER', { provider: integration.provider });
  if (Object.keys(integration.overrides).length === 0) return base;
  return providerSchema.parse(mergeProvider(base, integration.overrides));
}

/** Sealed JSON of the custom credentials, or null when there are none. */
function sealCustom(box: SecretBox, custom: IntegrationCustomCredentials | null | undefined): string | null {
  const entries = Object.entries(custom ?? {}).filter(([, value]) => typeof value === 'string' && value !== '');
  return entries.length === 0 ? null : box.seal(JSON.stringify(Object.fromEntries(entries)));
}

function toIntegration(row: Row, box: SecretBox, catalog: ProviderCatalog): Integration {
  const provider = catalog.get(row.provider);
  const warnings: string[] = [];
  if (row.client_secret_expires_at !== null && row.secret_expires_in_days !== null) {
    if (row.secret_expires_in_days < 0) warnings.push(`The client secret expired on ${row.client_secret_expires_at}.`);
    else if (row.secret_expires_in_days <= SECRET_EXPIRY_WARNING_DAYS) {
      warnings.push(
        `The client secret expires on ${row.client_secret_expires_at} (in ${row.secret_expires_in_days} days); rotate it at the provider and update the integration.`,
      );
    }
  }
  const droppedScopes = (provider?.required_scopes ?? []).filter(
    (scope) => row.scopes.length > 0 && !row.scopes.includes(scope),
  );
  if (droppedScopes.length > 0) {
    warnings.push(
      `Scopes lack ${droppedScopes.join(', ')}: ${row.provider} needs ${droppedScopes.length > 1 ? 'them' : 'it'} (e.g. Microsoft issues no refresh token without offline_access), so Weft adds ${droppedScopes.length > 1 ? 'them' : 'it'} back on every authorization.`,
    );
  }
  return {
    id: row.id,
    environmentId: row.environment_id,
    uniqueKey: row.unique_key,
    provider: row.provider,
    displayName: row.display_name ?? provider?.display_name ?? row.provider,
    authMode: (provider?.auth_mode ?? 'NONE') as SupportedAuthMode,
    clientId: row.client_id,
    clientSecret: row.client_secret_enc === null ? null : box.open(row.client_secret_enc),
    scopes: row.scopes,
    authorizationParams: row.authorization_params,
    overrides: row.overrides,
    clientSecretExpiresAt: row.client_secret_expires_at,
    custom:
      row.custom_credentials_enc === null
        ? null
        : (JSON.parse(box.open(row.custom_credentials_enc)) as IntegrationCustomCredentials),
    forwardWebhooks: row.forward_webhooks,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    warnings,
  };
}

function checkProvider(
  catalog: ProviderCatalog,
  input: {
    provider: string;
    uniqueKey: string;
    clientId?: string | null;
    clientSecret?: string | null;
    custom?: IntegrationCustomCredentials | null;
  },
): ProviderDefinition {
  const provider = catalog.get(input.provider);
  if (provider === undefined)
    throw authErrors.create('WEFT_AUTH_UNKNOWN_PROVIDER', { provider: input.provider }, { known: catalog.keys() });
  if (!(supportedAuthModes as readonly string[]).includes(provider.auth_mode)) {
    throw authErrors.create('WEFT_AUTH_UNSUPPORTED_AUTH_MODE', {
      provider: input.provider,
      authMode: provider.auth_mode,
    });
  }
  // Loaded, but needing something Weft does not do (mutual TLS, a value only Nango's code fills, …).
  const support = catalog.support(input.provider);
  if (!support.supported) {
    throw authErrors.create('WEFT_AUTH_PROVIDER_UNSUPPORTED', {
      provider: input.provider,
      reason: support.reason ?? 'not supported',
    });
  }
  // OAuth apps, and the modes that sign with the integration's own key: OAuth 1.0a and TBA
  // consumers, the GitHub App id + private key, the AWS key that calls STS.
  // CUSTOM (github-app-oauth) needs both: the app's OAuth client and the app id + private key.
  if (['OAUTH2', 'OAUTH2_CC', 'OAUTH1', 'TBA', 'APP', 'AWS_SIGV4', 'CUSTOM'].includes(provider.auth_mode)) {
    const missing = [
      !input.clientId ? 'client_id' : '',
      !input.clientSecret ? 'client_secret' : '',
      provider.auth_mode === 'CUSTOM' && !input.custom?.app_id ? 'app_id' : '',
      provider.auth_mode === 'CUSTOM' && !input.custom?.private_key ? 'private_key' : '',
    ].filter(Boolean);
    if (missing.length > 0) {
      throw authErrors.create('WEFT_AUTH_MISSING_CLIENT_CREDENTIALS', {
        uniqueKey: input.uniqueKey,
        provider: input.provider,
        authMode: provider.auth_mode,
        missing: missing.join(' and '),
      });
    }
  }
  return provider;
}

export async function createIntegration(
  pool: Pool,
  box: SecretBox,
  catalog: ProviderCatalog,
  environmentId: number,
  input: IntegrationInput,
): Promise<Integration> {
  checkProvider(catalog, input);
  if (input.overrides) effectiveProvider(catalog, { provider: input.provider, overrides: input.overrides });
  try {
    const { rows } = await pool.query<Row>(
      `INSERT INTO integrations (environment_id, unique_key, provider, display_name, client_id, client_secret_enc, scopes,
         authorization_params, overrides, client_secret_expires_at, custom_credentials_enc, forward_webhooks)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
      [
        environmentId,
        input.uniqueKey,
        input.provider,
        input.displayName ?? null,
        input.clientId ?? null,
        input.clientSecret ? box.seal(input.clientSecret) : null,
        input.scopes ?? catalog.get(input.provider)?.default_scopes ?? [],
        JSON.stringify(input.authorizationParams ?? {}),
        JSON.stringify(input.overrides ?? {}),
        input.clientSecretExpiresAt ?? null,
        sealCustom(box, input.custom),
        input.forwardWebhooks ?? false,
      ],
    );
    return toIntegration(rows[0] as Row, box, catalog);
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw authErrors.create('WEFT_AUTH_INTEGRATION_EXISTS', { uniqueKey: input.uniqueKey });
    throw error;
  }
}

export async function listIntegrations(
  pool: Pool,
  box: SecretBox,
  catalog: ProviderCatalog,
  environmentId: number,
): Promise<Integration[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM integrations WHERE environment_id = $1 ORDER BY unique_key`,
    [environmentId],
  );
  return rows.map((row) => toIntegration(row, box, catalog));
}

export async function getIntegration(
  pool: Pool,
  box: SecretBox,
  catalog: ProviderCatalog,
  environmentId: number,
  uniqueKey: string,
): Promise<Integration> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM integrations WHERE environment_id = $1 AND unique_key = $2`,
    [environmentId, uniqueKey],
  );
  const row = rows[0];
  if (row === undefined) throw authErrors.create('WEFT_AUTH_INTEGRATION_NOT_FOUND', { uniqueKey });
  return toIntegration(row, box, catalog);
}

/** The integration a row points at by its id (connections and OAuth sessions store integration_id). */
export async function getIntegrationById(
  pool: Pool,
  box: SecretBox,
  catalog: ProviderCatalog,
  environmentId: number,
  integrationId: number,
): Promise<Integration> {
  const { rows } = await pool.query<{ unique_key: string }>('SELECT unique_key FROM integrations WHERE id = $1', [
    integrationId,
  ]);
  return getIntegration(pool, box, catalog, environmentId, rows[0]?.unique_key ?? '');
}

/** The integration's app credentials for signing modes (OAuth 1.0a consumer, TBA). */
export function clientOf(integration: Integration): { id: string; secret: string } | undefined {
  return integration.clientId ? { id: integration.clientId, secret: integration.clientSecret ?? '' } : undefined;
}

export async function updateIntegration(
  pool: Pool,
  box: SecretBox,
  catalog: ProviderCatalog,
  environmentId: number,
  uniqueKey: string,
  patch: Omit<Partial<IntegrationInput>, 'provider'>,
): Promise<Integration> {
  const current = await getIntegration(pool, box, catalog, environmentId, uniqueKey);
  const next = {
    uniqueKey: patch.uniqueKey ?? current.uniqueKey,
    displayName: patch.displayName ?? current.displayName,
    clientId: patch.clientId ?? current.clientId,
    clientSecret: patch.clientSecret ?? current.clientSecret,
    scopes: patch.scopes ?? current.scopes,
    authorizationParams: patch.authorizationParams ?? current.authorizationParams,
    overrides: patch.overrides ?? current.overrides,
    clientSecretExpiresAt:
      patch.clientSecretExpiresAt === undefined ? current.clientSecretExpiresAt : patch.clientSecretExpiresAt,
    custom: patch.custom === undefined ? current.custom : { ...(current.custom ?? {}), ...patch.custom },
    forwardWebhooks: patch.forwardWebhooks ?? current.forwardWebhooks,
  };
  checkProvider(catalog, { ...next, provider: current.provider });
  effectiveProvider(catalog, { provider: current.provider, overrides: next.overrides });
  try {
    const { rows } = await pool.query<Row>(
      `UPDATE integrations SET unique_key = $3, display_name = $4, client_id = $5, client_secret_enc = $6, scopes = $7,
         authorization_params = $8, overrides = $9, client_secret_expires_at = $10, custom_credentials_enc = $11, forward_webhooks = $12, updated_at = now()
       WHERE environment_id = $1 AND unique_key = $2 RETURNING ${COLUMNS}`,
      [
        environmentId,
        uniqueKey,
        next.uniqueKey,
        next.displayName,
        next.clientId,
        next.clientSecret ? box.seal(next.clientSecret) : null,
        next.scopes,
        JSON.stringify(next.authorizationParams),
        JSON.stringify(next.overrides),
        next.clientSecretExpiresAt,
        sealCustom(box, next.custom),
        next.forwardWebhooks,
      ],
    );
    if (next.uniqueKey !== uniqueKey) {
      await pool.query(
        'UPDATE connections SET provider_config_key = $3 WHERE environment_id = $1 AND provider_config_key = $2',
        [environmentId, uniqueKey, next.uniqueKey],
      );
    }
    return toIntegration(rows[0] as Row, box, catalog);
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw authErrors.create('WEFT_AUTH_INTEGRATION_EXISTS', { uniqueKey: next.uniqueKey });
    throw error;
  }
}

/** Deletes the integration and (cascade) its connections and their records. */
export async function deleteIntegration(pool: Pool, environmentId: number, uniqueKey: string): Promise<void> {
  const result = await pool.query('DELETE FROM integrations WHERE environment_id = $1 AND unique_key = $2', [
    environmentId,
    uniqueKey,
  ]);
  if (result.rowCount === 0) throw authErrors.create('WEFT_AUTH_INTEGRATION_NOT_FOUND', { uniqueKey });
}

/** Whether an integration forwards inbound provider webhooks to the customer (false when it is gone). */
export async function integrationForwardsWebhooks(pool: Pool, integrationId: number): Promise<boolean> {
  const { rows } = await pool.query<{ forward_webhooks: boolean }>(
    'SELECT forward_webhooks FROM integrations WHERE id = $1',
    [integrationId],
  );
  return rows[0]?.forward_webhooks === true;
}
