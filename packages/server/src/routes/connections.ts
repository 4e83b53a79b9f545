import type { ConnectionRecord } from '@weft/auth';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import {
  connectionFull,
  connectionParams,
  connectionQuery,
  connectionSummary,
  deleteConnectionQuery,
  deleteConnectionResponse,
  type endUser,
  importConnectionBody,
  listConnectionsQuery,
  listConnectionsResponse,
  metadataBody,
  metadataResponse,
} from '../contract/connections.js';
import { serialize } from '../contract/shared.js';
import { parseRequest } from '../validate.js';

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const stringMap = (value: unknown): Record<string, string> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : null;

/** The end user a connect session recorded, in Nango's `ApiEndUser` shape. */
function endUserJson(stored: Record<string, unknown> | null): z.input<typeof endUser> | null {
  if (stored === null || typeof stored.id !== 'string') return null;
  const organization = stored.organization as Record<string, unknown> | undefined;
  return {
    id: stored.id,
    display_name: text(stored.display_name),
    email: text(stored.email),
    tags: stringMap(stored.tags),
    organization:
      organization && typeof organization.id === 'string'
        ? { id: organization.id, display_name: text(organization.display_name) }
        : null,
  };
}

function summary(c: ConnectionRecord, provider: string): z.input<typeof connectionSummary> {
  const user = endUserJson(c.endUser);
  return {
    id: c.id,
    connection_id: c.connectionId,
    provider_config_key: c.providerConfigKey,
    provider,
    auth_state: c.authState,
    end_user: user,
    tags: user?.tags ?? {},
    metadata: c.metadata,
    errors:
      c.authState === 'needs_reauth'
        ? [{ type: 'auth', log_id: `connection-${c.id}`, message: c.lastRefreshError ?? 'needs re-authorization' }]
        : [],
    created: c.createdAt,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

/** Connections API (Nango-compatible, `/connection` and `/connections`). Credentials only reach secret-key callers. */
export const connectionRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    const list = async (request: { query: unknown; environment: { id: number } }) => {
      const query = parseRequest(listConnectionsQuery, request.query, 'query');
      const keys = (query.integrationId ?? query.provider_config_key ?? query.integration_id)
        ?.split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const endUserId = query.endUserId ?? query.end_user_id;
      const providers = new Map(
        (await auth.listIntegrations(request.environment.id)).map((i) => [i.uniqueKey, i.provider]),
      );
      const records = await auth.listConnections(request.environment.id, {
        ...(keys?.length === 1 ? { providerConfigKey: keys[0] } : {}),
        ...(endUserId ? { endUserId } : {}),
      });
      // Nango searches the connection id and the end user's profile (id, email, display name).
      const needle = query.search?.toLowerCase();
      // `tags[<key>]=value` filters (the client lowercases keys); display name and email are tags in Nango.
      const tagFilters = Object.entries(query)
        .map(([name, value]) => [/^tags\[(.+)\]$/.exec(name)?.[1], value] as const)
        .filter((e): e is [string, string] => e[0] !== undefined && typeof e[1] === 'string');
      const matches = records
        .map((c) => summary(c, providers.get(c.providerConfigKey) ?? c.providerConfigKey))
        .filter((c) => keys === undefined || keys.length < 2 || keys.includes(c.provider_config_key))
        .filter((c) => query.connectionId === undefined || c.connection_id === query.connectionId)
        .filter(
          (c) =>
            !needle ||
            [c.connection_id, c.end_user?.id, c.end_user?.email, c.end_user?.display_name].some((v) =>
              v?.toLowerCase().includes(needle),
            ),
        )
        .filter(
          (c) =>
            query.endUserOrganizationId === undefined || c.end_user?.organization?.id === query.endUserOrganizationId,
        )
        .filter((c) =>
          tagFilters.every(([key, value]) => {
            const tags: Record<string, string | null | undefined> = {
              ...c.tags,
              end_user_display_name: c.end_user?.display_name,
              end_user_email: c.end_user?.email,
            };
            return Object.entries(tags).some(([k, v]) => k.toLowerCase() === key && v === value);
          }),
        );
      const limit = query.limit ?? matches.length;
      const page = query.page ?? 0;
      return serialize(listConnectionsResponse, { connections: matches.slice(page * limit, page * limit + limit) });
    };
    app.get('/connections', list);
    app.get('/connection', list);

    const getOne = async (request: { params: unknown; query: unknown; environment: { id: number } }) => {
      const { connectionId } = parseRequest(connectionParams, request.params, 'params');
      const query = parseRequest(connectionQuery, request.query, 'query');
      const ref = { environmentId: request.environment.id, providerConfigKey: query.provider_config_key, connectionId };
      const resolved = await auth.getConnection(ref, { forceRefresh: query.force_refresh === true });
      const record = await auth.findConnectionRecord(ref);
      const credentials: Record<string, unknown> = { ...resolved.credentials };
      if (query.refresh_token === false) delete credentials.refresh_token;
      return serialize(connectionFull, {
        ...summary(record, resolved.providerName),
        connection_config: resolved.connectionConfig,
        webhook_url_override: null,
        last_fetched_at: record.lastRefreshAt,
        credentials: credentials as z.input<typeof connectionFull>['credentials'],
        last_refresh_at: record.lastRefreshAt,
      });
    };
    app.get('/connections/:connectionId', getOne);
    app.get('/connection/:connectionId', getOne);

    // Import credentials obtained elsewhere (Nango's `POST /connections`, formerly `/connection`).
    const importOne = async (
      request: { body: unknown; environment: { id: number } },
      reply: { status(code: number): { send(body: unknown): unknown } },
    ) => {
      const body = parseRequest(importConnectionBody, request.body, 'body');
      const connection = await auth.importConnection(request.environment.id, body.provider_config_key, {
        connectionId: body.connection_id,
        credentials: body.credentials,
        ...(body.connection_config ? { connectionConfig: body.connection_config } : {}),
        ...(body.metadata ? { metadata: body.metadata } : {}),
      });
      const integration = await auth.getIntegration(request.environment.id, body.provider_config_key);
      return reply.status(201).send(serialize(connectionSummary, summary(connection, integration.provider)));
    };
    app.post('/connections', importOne);
    app.post('/connection', importOne);

    const deleteOne = async (request: { params: unknown; query: unknown; environment: { id: number } }) => {
      const { connectionId } = parseRequest(connectionParams, request.params, 'params');
      const query = parseRequest(deleteConnectionQuery, request.query, 'query');
      await auth.deleteConnection({
        environmentId: request.environment.id,
        providerConfigKey: query.provider_config_key,
        connectionId,
      });
      return serialize(deleteConnectionResponse, { success: true });
    };
    app.delete('/connections/:connectionId', deleteOne);
    app.delete('/connection/:connectionId', deleteOne);

    const writeMetadata = (replace: boolean) => async (request: { body: unknown; environment: { id: number } }) => {
      const body = parseRequest(metadataBody, request.body, 'body');
      const ids = Array.isArray(body.connection_id) ? body.connection_id : [body.connection_id];
      if (replace) await auth.setMetadata(request.environment.id, body.provider_config_key, ids, body.metadata);
      else await auth.updateMetadata(request.environment.id, body.provider_config_key, ids, body.metadata);
      return serialize(metadataResponse, body);
    };
    for (const path of ['/connections/metadata', '/connection/metadata']) {
      app.post(path, writeMetadata(true));
      app.patch(path, writeMetadata(false));
    }
  };
