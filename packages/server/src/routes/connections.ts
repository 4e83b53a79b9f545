import type { ConnectionRecord } from '@weft/auth';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseRequest } from '../validate.js';

const listQuery = z.object({
  integration_id: z.string().optional(),
  provider_config_key: z.string().optional(),
  end_user_id: z.string().optional(),
  search: z.string().optional(),
});
const oneParams = z.object({ connectionId: z.string().min(1) });
const oneQuery = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
  force_refresh: z.enum(['true', 'false']).optional(),
  refresh_token: z.enum(['true', 'false']).optional(),
});
const importBody = z
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

const metadataBody = z.object({
  connection_id: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  provider_config_key: z.string().min(1),
  metadata: z.record(z.string(), z.unknown()),
});

function summary(c: ConnectionRecord) {
  return {
    id: c.id,
    connection_id: c.connectionId,
    provider_config_key: c.providerConfigKey,
    auth_state: c.authState,
    end_user: c.endUser,
    metadata: c.metadata,
    errors: c.authState === 'needs_reauth' ? [{ type: 'auth', message: c.lastRefreshError }] : [],
    created: c.createdAt,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/** Connections API (Nango-compatible). Credentials are only ever returned to secret-key callers. */
export const connectionRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    app.get('/connections', async (request) => {
      const query = parseRequest(listQuery, request.query, 'query');
      const key = query.provider_config_key ?? query.integration_id;
      const list = await auth.listConnections(request.environment.id, {
        ...(key ? { providerConfigKey: key } : {}),
        ...(query.end_user_id ? { endUserId: query.end_user_id } : {}),
        ...(query.search ? { search: query.search } : {}),
      });
      return { connections: list.map(summary) };
    });

    app.get('/connection/:connectionId', async (request) => {
      const { connectionId } = parseRequest(oneParams, request.params, 'params');
      const query = parseRequest(oneQuery, request.query, 'query');
      const resolved = await auth.getConnection(
        { environmentId: request.environment.id, providerConfigKey: query.provider_config_key, connectionId },
        { forceRefresh: query.force_refresh === 'true' },
      );
      const record = await auth.findConnectionRecord({
        environmentId: request.environment.id,
        providerConfigKey: query.provider_config_key,
        connectionId,
      });
      return {
        ...summary(record),
        provider: resolved.providerName,
        connection_config: resolved.connectionConfig,
        credentials: resolved.credentials,
        last_refresh_at: record.lastRefreshAt,
      };
    });

    // Import credentials obtained elsewhere (Nango-compatible `POST /connection`).
    app.post('/connection', async (request, reply) => {
      const body = parseRequest(importBody, request.body, 'body');
      const connection = await auth.importConnection(request.environment.id, body.provider_config_key, {
        connectionId: body.connection_id,
        credentials: body.credentials,
        ...(body.connection_config ? { connectionConfig: body.connection_config } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
      });
      return reply.status(201).send(summary(connection));
    });

    app.delete('/connection/:connectionId', async (request) => {
      const { connectionId } = parseRequest(oneParams, request.params, 'params');
      const query = parseRequest(oneQuery, request.query, 'query');
      await auth.deleteConnection({
        environmentId: request.environment.id,
        providerConfigKey: query.provider_config_key,
        connectionId,
      });
      return { success: true };
    });

    app.post('/connection/metadata', async (request) => {
      const body = parseRequest(metadataBody, request.body, 'body');
      const ids = Array.isArray(body.connection_id) ? body.connection_id : [body.connection_id];
      await auth.setMetadata(request.environment.id, body.provider_config_key, ids, body.metadata);
      return {
        connection_id: body.connection_id,
        provider_config_key: body.provider_config_key,
        metadata: body.metadata,
      };
    });

    app.patch('/connection/metadata', async (request) => {
      const body = parseRequest(metadataBody, request.body, 'body');
      const ids = Array.isArray(body.connection_id) ? body.connection_id : [body.connection_id];
      await auth.updateMetadata(request.environment.id, body.provider_config_key, ids, body.metadata);
      return {
        connection_id: body.connection_id,
        provider_config_key: body.provider_config_key,
        metadata: body.metadata,
      };
    });
  };
