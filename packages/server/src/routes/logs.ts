import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { logsQuery, logsResponse } from '../contract/operations.js';
import { serialize } from '../contract/shared.js';
import { listOperations } from '../operation-log.js';
import { parseRequest } from '../validate.js';

/**
 * `GET /logs`: the operation log — sync and action runs (with their nango.log/console lines and the
 * failure with its file:line), proxy calls,
 * webhook deliveries and auth events — searchable by connection, integration, name, state and
 * time, newest first. `weft logs --follow` polls it with `since`.
 */
export const logsRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/logs', async (request) => {
      const q = parseRequest(logsQuery, request.query, 'query');
      const operations = await listOperations(ctx.pool, {
        environmentId: request.environment.id,
        connectionId: q.connection_id ?? null,
        integration: q.integration ?? null,
        name: q.name ?? null,
        state: q.state ?? null,
        since: q.since ?? null,
        until: q.until ?? null,
        types: q.type ?? null,
        search: null,
        before: null,
        limit: q.limit,
      });
      return serialize(logsResponse, { operations });
    });
  };
