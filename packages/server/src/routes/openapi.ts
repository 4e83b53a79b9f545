import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { buildOpenApi } from '../contract/openapi.js';
import { routeContracts } from '../contract/routes.js';

/** `GET /openapi.json`: the API contract as OpenAPI 3.1, built once from the route contracts. */
export const openApiRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    let document: string | undefined;
    app.get('/openapi.json', { config: { public: true } }, async (_request, reply) => {
      document ??= JSON.stringify(buildOpenApi(routeContracts, ctx.publicUrl));
      return reply.type('application/json; charset=utf-8').send(document);
    });
  };
