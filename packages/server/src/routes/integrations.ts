import { authErrors, type Integration, type IntegrationInput, publicProvider } from '@weft/auth';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseRequest } from '../validate.js';

const scopes = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(/[,\s]+/).filter(Boolean)));

const credentialsBody = z.object({
  type: z.string().optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  scopes: scopes.optional(),
});

const stringMap = z.record(z.string(), z.string());

const createBody = z
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
  })
  .strict();

const updateBody = createBody.omit({ provider: true }).partial().strict();
const keyParams = z.object({ key: z.string().min(1) });
const includeQuery = z.object({ include: z.string().optional() });

/** API body → the settings shared by create and update. */
function settingsOf(body: z.output<typeof updateBody>): Omit<Partial<IntegrationInput>, 'uniqueKey' | 'provider'> {
  return {
    ...(body.display_name ? { displayName: body.display_name } : {}),
    ...(body.credentials?.client_id ? { clientId: body.credentials.client_id } : {}),
    ...(body.credentials?.client_secret ? { clientSecret: body.credentials.client_secret } : {}),
    ...(body.credentials?.scopes ? { scopes: body.credentials.scopes } : {}),
    ...(body.authorization_params ? { authorizationParams: body.authorization_params } : {}),
    ...(body.overrides ? { overrides: body.overrides } : {}),
    ...(body.client_secret_expires_at !== undefined ? { clientSecretExpiresAt: body.client_secret_expires_at } : {}),
  };
}

export function integrationJson(integration: Integration, withSecret: boolean) {
  return {
    unique_key: integration.uniqueKey,
    provider: integration.provider,
    display_name: integration.displayName,
    auth_mode: integration.authMode,
    credentials:
      integration.clientId === null
        ? null
        : {
            type: integration.authMode,
            client_id: integration.clientId,
            ...(withSecret ? { client_secret: integration.clientSecret } : {}),
            scopes: integration.scopes,
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
    const providersQuery = z.object({ search: z.string().optional(), connect_session_token: z.string().optional() });
    app.get('/providers', async (request) => {
      const { search } = parseRequest(providersQuery, request.query, 'query');
      const needle = search?.toLowerCase();
      const keys = auth.providers.keys().filter((key) => needle === undefined || key.toLowerCase().includes(needle));
      return { data: keys.map((key) => publicProvider(auth.providers, key)) };
    });

    app.get('/providers/:provider', async (request) => {
      const { provider } = parseRequest(z.object({ provider: z.string().min(1) }), request.params, 'params');
      const json = publicProvider(auth.providers, provider);
      if (json === undefined) throw authErrors.create('WEFT_AUTH_UNKNOWN_PROVIDER', { provider });
      return { data: json };
    });

    app.get('/integrations', async (request) => ({
      data: (await auth.listIntegrations(request.environment.id)).map((i) => integrationJson(i, false)),
    }));

    app.post('/integrations', async (request, reply) => {
      const body = parseRequest(createBody, request.body, 'body');
      const integration = await auth.createIntegration(request.environment.id, {
        uniqueKey: body.unique_key,
        provider: body.provider,
        ...settingsOf(body),
      });
      return reply.status(201).send({ data: integrationJson(integration, false) });
    });

    app.get('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      const { include } = parseRequest(includeQuery, request.query, 'query');
      const integration = await auth.getIntegration(request.environment.id, key);
      return { data: integrationJson(integration, include?.split(',').includes('credentials') ?? false) };
    });

    app.patch('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      const body = parseRequest(updateBody, request.body, 'body');
      const integration = await auth.updateIntegration(request.environment.id, key, {
        ...(body.unique_key ? { uniqueKey: body.unique_key } : {}),
        ...settingsOf(body),
      });
      return { data: integrationJson(integration, false) };
    });

    app.delete('/integrations/:key', async (request) => {
      const { key } = parseRequest(keyParams, request.params, 'params');
      await auth.deleteIntegration(request.environment.id, key);
      return { success: true };
    });
  };
