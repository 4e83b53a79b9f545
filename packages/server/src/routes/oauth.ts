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
      const query = request.query as Record<string, string | undefined>;
      try {
        const connection = await auth.handleCallback({
          ...(query.code === undefined ? {} : { code: query.code }),
          ...(query.state === undefined ? {} : { state: query.state }),
          ...(query.error === undefined ? {} : { error: query.error }),
          ...(query.error_description === undefined ? {} : { error_description: query.error_description }),
          // OAuth 1.0a and GitHub App installations come back with their own parameters.
          ...Object.fromEntries(
            ['oauth_token', 'oauth_verifier', 'installation_id', 'setup_action']
              .filter((name) => typeof query[name] === 'string')
              .map((name) => [name, query[name]]),
          ),
        });
        return reply.headers(pageHeaders).send(connectedPage(connection));
      } catch (error) {
        return sendPageError(reply, error);
      }
    });
  };
