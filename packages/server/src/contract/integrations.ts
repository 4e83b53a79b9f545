import { z } from 'zod';
import { successResponse, timestamp } from './shared.js';

/**
 * Integrations and the providers catalogue. Shapes follow `@nangohq/types`
 * (`ApiPublicIntegration`, `PostPublicIntegration`, `GetPublicProvider(s)`); Weft-only fields
 * (auth mode, overrides, warnings, secret expiry) are additions.
 */

const scopes = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(/[,\s]+/).filter(Boolean)));

const credentialsBody = z.object({
  type: z.string().optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  scopes: scopes.optional(),
  /** CUSTOM (github-app-oauth): the GitHub App's id, private key (PEM) and public page, as in Nango. */
  app_id: z.string().min(1).max(255).optional(),
  private_key: z
    .string()
    .regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----\s*$/, {
      error: 'must be a PEM private key (-----BEGIN … PRIVATE KEY-----)',
    })
    .optional(),
  app_link: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://github.com/apps/<slug>' })
    .optional(),
  /** Nango verifies inbound provider webhooks with it; Weft accepts and ignores it. */
  webhook_secret: z.string().optional(),
});

const stringMap = z.record(z.string(), z.string());

export const createIntegrationBody = z
  .object({
    unique_key: z
      .string({ error: 'unique_key is required' })
      .regex(/^[a-zA-Z0-9][\w.-]{0,99}$/, { error: 'use letters, digits, - _ . (up to 100 characters)' }),
    provider: z.string({ error: 'provider is required (a key of providers.yaml)' }).min(1),
    display_name: z.string().min(1).optional(),
    credentials: credentialsBody.optional(),
    authorization_params: stringMap.optional(),
    overrides: z.record(z.string(), z.unknown()).optional(),
    client_secret_expires_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 timestamp' })
      .nullable()
      .optional(),
    /** Nango's forwarding of provider webhooks to the backend as `type: forward` events. @default false */
    forward_webhooks: z.boolean({ error: 'must be true or false' }).optional(),
    integration_config: stringMap.optional(),
    /** Nango's older spelling of the CUSTOM app credentials (`app_id`, `private_key`, `app_link`). */
    custom: stringMap.optional(),
  })
  .strict();

export const updateIntegrationBody = createIntegrationBody.omit({ provider: true }).partial().strict();
export const integrationParams = z.object({ key: z.string().min(1) });
/** `include=credentials,webhook` (comma list, or the parameter repeated). */
export const integrationQuery = z.object({
  include: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()))
    .pipe(z.array(z.enum(['credentials', 'webhook'], { error: 'include takes credentials, webhook' })))
    .optional(),
});

/** Nango's `ApiPublicIntegration` (`credentials` and `webhook_url` filled when included). */
export const integration = z
  .object({
    unique_key: z.string(),
    provider: z.string(),
    display_name: z.string(),
    logo: z.string(),
    forward_webhooks: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
    webhook_url: z.string().nullable().optional(),
    credentials: z
      .object({
        type: z.string(),
        client_id: z.string().nullable(),
        /** Only with `include=credentials`. */
        client_secret: z.string().nullable(),
        /** Comma-separated, as in Nango. */
        scopes: z.string().nullable(),
        webhook_secret: z.string().nullable(),
        /** CUSTOM only: the GitHub App id and public link. */
        app_id: z.string().optional(),
        app_link: z.string().optional(),
        /** CUSTOM only, and only with `include=credentials` (null otherwise). */
        private_key: z.string().nullable().optional(),
      })
      .nullable(),
    auth_mode: z.string(),
    authorization_params: stringMap,
    overrides: z.record(z.string(), z.unknown()),
    client_secret_expires_at: timestamp.nullable(),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'Integration' });
export type IntegrationJson = z.output<typeof integration>;

export const integrationResponse = z.object({ data: integration });
export const listIntegrationsResponse = z.object({ data: z.array(integration) });
export type IntegrationListJson = z.output<typeof listIntegrationsResponse>;
export const deleteIntegrationResponse = successResponse;

export const providersQuery = z.object({
  search: z.string().optional(),
  connect_session_token: z.string().optional(),
});
export const providerParams = z.object({ provider: z.string().min(1) });
/** Nango's `ApiProvider`: the catalogue entry with its `name` and a `logo_url`. */
export const provider = z
  .looseObject({
    name: z.string(),
    display_name: z.string(),
    auth_mode: z.string(),
    logo_url: z.string(),
  })
  .meta({ id: 'Provider' });
export const listProvidersResponse = z.object({ data: z.array(provider) });
export const providerResponse = z.object({ data: provider });
