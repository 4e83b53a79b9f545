import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { logsQuery, logsResponse } from '../contract/operations.js';
import { serialize } from '../contract/shared.js';
import * as sql from '../sql.js';
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
      const { rows } = await ctx.pool.query(sql.OPERATIONS, [
        request.environment.id,
        q.connection_id ?? null,
        q.integration ?? null,
        q.name ?? null,
        q.state ?? null,
        q.since ?? null,
        q.until ?? null,
        q.type ?? null,
        q.limit,
      ]);
      return serialize(logsResponse, { operations: rows });
    });
  };
