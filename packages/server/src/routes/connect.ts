import { coreErrors, isWeftError } from '@weft/core';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ServerContext } from '../context.js';
import { connectSessionBody, connectSessionResponse, reconnectSessionBody } from '../contract/connect.js';
import { serialize } from '../contract/shared.js';
import { connectedPage, connectPage, errorPage } from '../pages/connect-page.js';
import { pageHeaders } from '../pages/html.js';
import { parseRequest } from '../validate.js';

/** `connection_config.x=…` form/query fields (or a JSON `connection_config`) → an object. */
export function connectionConfigFrom(input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const json = input.connection_config;
  if (typeof json === 'string' && json.startsWith('{')) {
    try {
      Object.assign(out, JSON.parse(json) as Record<string, string>);
    } catch {
      // ignored: field-wise values below still apply
    }
  }
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('connection_config.') && typeof value === 'string' && value !== '') {
      out[key.slice('connection_config.'.length)] = value;
    }
  }
  return out;
}

/** The provider's declared `credentials` fields (TWO_STEP, JWT, …): a JSON `credentials` object or `credentials.x` form fields. */
export function credentialsFrom(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> =
    typeof input.credentials === 'object' && input.credentials !== null && !Array.isArray(input.credentials)
      ? { ...(input.credentials as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('credentials.') && typeof value === 'string' && value !== '') out[key.slice(12)] = value;
  }
  return out;
}

export async function sendPageError(reply: FastifyReply, error: unknown): Promise<FastifyReply> {
  if (!isWeftError(error)) throw error;
  return reply
    .status(error.status)
    .headers(pageHeaders)
    .send(errorPage({ code: error.code, message: error.message }));
}

/** Connect sessions (secret key) and the connect page itself (public, authorised by the session token). */
export const connectRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    const sessionJson = (session: { token: string; expiresAt: string }) =>
      serialize(connectSessionResponse, {
        data: {
          token: session.token,
          expires_at: session.expiresAt,
          connect_link: `${ctx.publicUrl}/connect?session=${encodeURIComponent(session.token)}`,
        },
      });

    app.post('/connect/sessions', async (request, reply) => {
      const body = parseRequest(connectSessionBody, request.body, 'body');
      const tags = { ...body.end_user.tags, ...body.tags };
      const session = await auth.createConnectSession(request.environment.id, {
        // The organization travels with the end user so connections can be listed by it.
        endUser: {
          ...body.end_user,
          ...(Object.keys(tags).length > 0 ? { tags } : {}),
          ...(body.organization ? { organization: body.organization } : {}),
        },
        ...(body.organization ? { organization: body.organization } : {}),
        ...(body.allowed_integrations ? { allowedIntegrations: body.allowed_integrations } : {}),
        ...(body.integrations_config_defaults ? { defaults: body.integrations_config_defaults } : {}),
      });
      return reply.status(201).send(sessionJson(session));
    });

    // A session that re-authorises one existing connection (same connection id, new credentials).
    app.post('/connect/sessions/reconnect', async (request, reply) => {
      const body = parseRequest(reconnectSessionBody, request.body, 'body');
      const connection = await auth.findConnectionRecord({
        environmentId: request.environment.id,
        providerConfigKey: body.integration_id,
        connectionId: body.connection_id,
      });
      const stored = (connection.endUser ?? {}) as { id?: string };
      const endUser = body.end_user ?? (typeof stored.id === 'string' ? { ...stored, id: stored.id } : undefined);
      if (endUser === undefined)
        throw coreErrors.create('WEFT_API_INVALID_REQUEST', {
          problems: 'body.end_user: the connection has no end user; send end_user',
        });
      const tags = { ...(endUser as { tags?: Record<string, string> }).tags, ...body.tags };
      const session = await auth.createConnectSession(request.environment.id, {
        endUser: {
          ...endUser,
          ...(Object.keys(tags).length > 0 ? { tags } : {}),
          ...(body.organization ? { organization: body.organization } : {}),
        },
        ...(body.organization ? { organization: body.organization } : {}),
        allowedIntegrations: [body.integration_id],
        ...(body.integrations_config_defaults ? { defaults: body.integrations_config_defaults } : {}),
        reconnectConnectionRowId: connection.id,
      });
      return reply.status(201).send(sessionJson(session));
    });

    app.get('/connect', { config: { public: true } }, async (request, reply) => {
      const { session: token } = request.query as { session?: string };
      try {
        const session = await auth.findConnectSession(token);
        const integrations = await auth.listIntegrations(session.environmentId);
        const allowed = integrations.filter(
          (i) => session.allowedIntegrations === null || session.allowedIntegrations.includes(i.uniqueKey),
        );
        return reply.headers(pageHeaders).send(
          connectPage(
            token ?? '',
            allowed.map((integration) => ({ integration, provider: auth.effectiveProvider(integration) })),
          ),
        );
      } catch (error) {
        return sendPageError(reply, error);
      }
    });

    // API key / basic / client credentials from the connect page (form) or a backend (JSON).
    app.post('/connect/credentials/:key', { config: { public: true } }, async (request, reply) => {
      const { key } = request.params as { key: string };
      const body = (request.body ?? {}) as Record<string, unknown>;
      const str = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
      const wantsHtml = (request.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
      try {
        const connection = await auth.connectWithCredentials({ sessionToken: str('connect_session_token') }, key, {
          ...(str('api_key') ? { apiKey: str('api_key') } : {}),
          ...(str('username') ? { username: str('username') } : {}),
          ...(str('password') !== undefined ? { password: str('password') } : {}),
          connectionConfig:
            typeof body.connection_config === 'object' && body.connection_config !== null
              ? (body.connection_config as Record<string, unknown>)
              : connectionConfigFrom(body),
          credentials: credentialsFrom(body),
        });
        if (wantsHtml) return reply.headers(pageHeaders).send(connectedPage(connection));
        return reply
          .status(201)
          .send({ connection_id: connection.connectionId, provider_config_key: connection.providerConfigKey });
      } catch (error) {
        if (wantsHtml) return sendPageError(reply, error);
        throw error;
      }
    });
  };
