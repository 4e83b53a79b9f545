import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import * as sql from '../sql.js';
import { parseRequest } from '../validate.js';

const iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp' });

const logsQuery = z.object({
  connection_id: z.string().min(1).optional(),
  integration: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  state: z.enum(['success', 'failed', 'running', 'queued', 'interrupted', 'cancelled', 'pending']).optional(),
  since: iso.optional(),
  until: iso.optional(),
  type: z
    .string()
    .transform((v) => v.split(',').map((t) => t.trim()))
    .pipe(
      z.array(
        z.enum(['sync', 'action', 'on-event', 'proxy', 'webhook', 'auth'], {
          error: 'types are sync, action, on-event, proxy, webhook, auth',
        }),
      ),
    )
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

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
      return { operations: rows };
    });
  };
