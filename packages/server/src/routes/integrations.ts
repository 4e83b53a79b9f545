import { authErrors, type Integration, type IntegrationInput, publicProvider } from '@weft/auth';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import {
  createIntegrationBody,
  deleteIntegrationResponse,
  type IntegrationJson,
  integrationParams,
  integrationQuery,
  integrationResponse,
  listIntegrationsResponse,
  listProvidersResponse,
  providerParams,
  providerResponse,
  providersQuery,
  updateIntegrationBody,
} from '../contract/integrations.js';
import { serialize } from '../contract/shared.js';
import { serverErrors } from '../errors.js';
import { parseRequest } from '../validate.js';

const createBody = createIntegrationBody;
const updateBody = updateIntegrationBody;
const keyParams = integrationParams;
const includeQuery = integrationQuery;

/** Nango's public logo for a provider key (the same URL Nango's API answers). */
const logoOf = (provider: string) => `https://app.nango.dev/images/template-logos/${provider}.svg`;

/** CUSTOM's app credentials from `credentials` (Nango's API) or the older top-level `custom` map. */
function customOf(body: z.output<typeof updateBody>): Pick<IntegrationInput, 'custom'> {
  const custom = {
    ...(body.custom?.app_id ? { app_id: body.custom.app_id } : {}),
    ...(body.custom?.private_key ? { private_key: body.custom.private_key } : {}),
    ...(body.custom?.app_link ? { app_link: body.custom.app_link } : {}),
    ...(body.credentials?.app_id ? { app_id: body.credentials.app_id } : {}),
    ...(body.credentials?.private_key ? { private_key: body.credentials.private_key } : {}),
    ...(body.credentials?.app_link ? { app_link: body.credentials.app_link } : {}),
  };
  return Object.keys(custom).length === 0 ? {} : { custom };
}

/** API body → the settings shared by create and update. */
function settingsOf(body: z.output<typeof updateBody>): Omit<Partial<IntegrationInput>, 'uniqueKey' | 'provider'> {
  const customKeys = ['app_id', 'private_key', 'app_link'];
  const unknownCustom = Object.fromEntries(Object.entries(body.custom ?? {}).filter(([k]) => !customKeys.includes(k)));
  const unsupported = Object.entries({ integration_config: body.integration_config, custom: unknownCustom }).find(
    ([, value]) => value !== undefined && Object.keys(value).length > 0,
  );
  if (unsupported)
    throw serverErrors.create('WEFT_NOT_SUPPORTED', {
      feature: `Integration field ${unsupported[0]}`,
      reason: 'set provider URLs and parameters through `overrides` and `authorization_params`',
    });
  return {
    ...(body.display_name ? { displayName: body.display_name } : {}),
    ...(body.forward_webhooks !== undefined ? { forwardWebhooks: body.forward_webhooks } : {}),
    ...(body.credentials?.client_id ? { clientId: body.credentials.client_id } : {}),
    ...(body.credentials?.client_secret ? { clientSecret: body.credentials.client_secret } : {}),
    ...(body.credentials?.scopes ? { scopes: body.credentials.scopes } : {}),
    ...customOf(body),
    ...(body.authorization_params ? { authorizationParams: body.authorization_params } : {}),
    ...(body.overrides ? { overrides: body.overrides } : {}),
    ...(body.client_secret_expires_at !== undefined ? { clientSecretExpiresAt: body.client_secret_expires_at } : {}),
  };
}

export function integrationJson(integration: Integration, withSecret: boolean): IntegrationJson {
  return {
    unique_key: integration.uniqueKey,
    provider: integration.provider,
    display_name: integration.displayName,
    logo: logoOf(integration.provider),
    forward_webhooks: integration.forwardWebhooks,
    auth_mode: integration.authMode,
    credentials:
      integration.clientId === null
        ? null
        : {
            type: integration.authMode,
            client_id: integration.clientId,
            client_secret: withSecret ? integration.clientSecret : null,
            scopes: integration.scopes.length === 0 ? null : integration.scopes.join(','),
            webhook_secret: null,
            ...(integration.custom === null
              ? {}
              : {
                  ...(integration.custom.app_id ? { app_id: integration.custom.app_id } : {}),
                  ...(integration.custom.app_link ? { app_link: integration.custom.app_link } : {}),
                  // The app's private key signs for every installation: only on explicit request.
                  private_key: withSecret ? (integration.custom.private_key ?? null) : null,
                }),
          },
    authorization_params: integration.authorizationParams,
    overrides: integration.overrides,
    client_secret_expires_at: integration.clientSecretExpiresAt,
    warnings: integration.warnings,
    created_at: integration.createdAt,
    updated_at: integration.updatedAt,
  };
}

/** Providers catalogue and integrations CRUD (Nango-compatible shapes). */
export const integrationRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    // Nango's GetPublicProviders / GetPublicProvider: whole entries, plus `weft.supported`.
    const providerJson = (key: string) =>
      publicProvider(auth.providers, key) as z.input<typeof providerResponse>['data'] | undefined;

    app.get('/providers', async (request) => {
      const { search } = parseRequest(providersQuery, request.query, 'query');
      const needle = search?.toLowerCase();
      const list = auth.providers.keys().flatMap((key) => providerJson(key) ?? []);
      return serialize(listProvidersResponse, {
        data: needle
          ? list.filter((p) => p.name.toLowerCase().includes(needle) || p.display_name.toLowerCase().includes(needle))
          : list,
      });
    });

    app.get('/providers/:provider', async (request) => {
      const { provider } = parseRequest(providerParams, request.params, 'params');
      const json = providerJson(provider);
      if (json === undefined) throw authErrors.create('WEFT_AUTH_UNKNOWN_PROVIDER', { provider });
      return serialize(providerResponse, { data: json });
    });

    app.get('/integrations', async (request) =>
      serialize(listIntegrationsResponse, {
        data: (await auth.listIntegrations(request.environment.id)).map((i) => integrationJson(i, false)),
      }),
    );

    app.post('/integrations', async (request, reply) => {
      const body = parseRequest(createBody, request.body, 'body');
      const integration = await auth.createIntegration(request.environment.id, {
        uniqueKey: body.unique_key,
        provider: body.provider,
        ...settingsOf(body),
      });
      return reply.status(201).send(serialize(integrationResponse, { data: integrationJson(integration, false) }));
    });

    app.get('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      const { include } = parseRequest(includeQuery, request.query, 'query');
      const integration = await auth.getIntegration(request.environment.id, key);
      const json = integrationJson(integration, include?.includes('credentials') ?? false);
      return serialize(integrationResponse, {
        // Nango's webhook_url: where the provider sends its webhooks (POST /webhook/<environment>/<key>).
        data: {
          ...json,
          ...(include?.includes('webhook')
            ? {
                webhook_url: `${ctx.publicUrl}/webhook/${encodeURIComponent(request.environment.name)}/${encodeURIComponent(key)}`,
              }
            : {}),
        },
      });
    });

    app.patch('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      const body = parseRequest(updateBody, request.body, 'body');
      const integration = await auth.updateIntegration(request.environment.id, key, {
        ...(body.unique_key ? { uniqueKey: body.unique_key } : {}),
        ...settingsOf(body),
      });
      return serialize(integrationResponse, { data: integrationJson(integration, false) });
    });

    app.delete('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      await auth.deleteIntegration(request.environment.id, key);
      return serialize(deleteIntegrationResponse, { success: true });
    });
  };
