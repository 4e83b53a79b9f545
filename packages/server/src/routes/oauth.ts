import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { connectedPage } from '../pages/connect-page.js';
import { pageHeaders } from '../pages/html.js';
import { connectionConfigFrom, sendPageError } from './connect.js';

/** The OAuth2 authorization-code flow: public pages, authorised by the session token and the state. */
export const oauthRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const auth = ctx.auth;
    if (auth === undefined) return;

    app.get('/oauth/connect/:key', { config: { public: true } }, async (request, reply) => {
      const { key } = request.params as { key: string };
      const query = request.query as Record<string, unknown>;
      const token = typeof query.connect_session_token === 'string' ? query.connect_session_token : undefined;
      try {
        const url = await auth.startOAuth(token, key, connectionConfigFrom(query));
        return reply.headers({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' }).redirect(url, 302);
      } catch (error) {
        return sendPageError(reply, error);
      }
    });

    app.get('/oauth/callback', { config: { public: true } }, async (request, reply) => {
      // Every string parameter goes on: providers name their own code parameter and metadata
      // (authorization_code_param_in_callback, redirect_uri_metadata such as QuickBooks' realmId).
      const query = Object.fromEntries(
        Object.entries(request.query as Record<string, unknown>).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string',
        ),
      );
      try {
        const connection = await auth.handleCallback(query);
        return reply.headers(pageHeaders).send(connectedPage(connection));
      } catch (error) {
        return sendPageError(reply, error);
      }
    });
  };
