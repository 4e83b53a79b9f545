import { z } from 'zod';
import { queryBoolean, successResponse, timestamp } from './shared.js';

/**
 * Connections API (Nango's `/connection(s)` routes, both spellings). Field names and casing are
 * those of `@nangohq/types` (`ApiPublicConnection`, `ApiPublicConnectionFull`, `MetadataBody`);
 * Weft-only fields are additions.
 */

/** `GET /connections`: Nango's camelCase filters (what the client sends) and Weft's snake_case ones. */
export const listConnectionsQuery = z.looseObject({
  connectionId: z.string().min(1).optional(),
  search: z.string().optional(),
  endUserId: z.string().min(1).optional(),
  endUserOrganizationId: z.string().min(1).optional(),
  /** One key or a comma-separated list. */
  integrationId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  page: z.coerce.number().int().min(0).optional(),
  integration_id: z.string().optional(),
  provider_config_key: z.string().optional(),
  end_user_id: z.string().optional(),
});

export const connectionParams = z.object({ connectionId: z.string().min(1) });

export const connectionQuery = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
  force_refresh: queryBoolean.optional(),
  /** Nango returns the refresh token only when asked; Weft's callers that omit it keep getting it. */
  refresh_token: queryBoolean.optional(),
  refresh_github_app_jwt_token: queryBoolean.optional(),
});

export const deleteConnectionQuery = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
});

export const importConnectionBody = z
  .object({
    connection_id: z.string().min(1),
    provider_config_key: z.string().min(1),
    connection_config: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    credentials: z.discriminatedUnion('type', [
      z.object({
        type: z.literal('OAUTH2'),
        access_token: z.string().min(1),
        refresh_token: z.string().optional(),
        expires_at: z.iso.datetime({ offset: true }).optional(),
        raw: z.record(z.string(), z.unknown()).default({}),
      }),
      z.object({
        type: z.literal('OAUTH2_CC'),
        token: z.string().min(1),
        expires_at: z.iso.datetime({ offset: true }).optional(),
        raw: z.record(z.string(), z.unknown()).default({}),
      }),
      z.object({ type: z.literal('API_KEY'), apiKey: z.string().min(1) }),
      z.object({ type: z.literal('BASIC'), username: z.string().min(1), password: z.string() }),
      z.object({ type: z.literal('NONE') }),
    ]),
  })
  .strict();

export const metadataBody = z.object({
  connection_id: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  provider_config_key: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()),
});
export const metadataResponse = metadataBody;

/** Nango's `ApiEndUser`. */
export const endUser = z.object({
  id: z.string(),
  display_name: z.string().nullable(),
  email: z.string().nullable(),
  tags: z.record(z.string(), z.string()).nullable(),
  organization: z.object({ id: z.string(), display_name: z.string().nullable() }).nullable(),
});

const connectionError = z.object({ type: z.string(), log_id: z.string(), message: z.string().optional() });

/** Nango's `ApiPublicConnection` plus Weft's auth state and timestamps. */
export const connectionSummary = z
  .object({
    id: z.number().int(),
    connection_id: z.string(),
    provider_config_key: z.string(),
    provider: z.string(),
    created: timestamp,
    metadata: z.record(z.string(), z.unknown()).nullable(),
    errors: z.array(connectionError),
    end_user: endUser.nullable(),
    tags: z.record(z.string(), z.string()),
    auth_state: z.enum(['ok', 'needs_reauth']),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Connection' });

export const listConnectionsResponse = z.object({ connections: z.array(connectionSummary) });

/** Credentials as stored: the shape of Nango's `ApiPublicAllAuthCredentials` for Weft's auth modes. */
export const credentials = z.looseObject({ type: z.string() }).meta({ id: 'Credentials' });

/** Nango's `ApiPublicConnectionFull`. */
export const connectionFull = connectionSummary
  .extend({
    connection_config: z.record(z.string(), z.unknown()),
    webhook_url_override: z.string().nullable(),
    last_fetched_at: timestamp.nullable(),
    credentials,
    last_refresh_at: timestamp.nullable(),
  })
  .meta({ id: 'ConnectionFull' });

export const deleteConnectionResponse = successResponse;
