import { currentMigrationVersion, isReachable } from '@weft/db';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';

/** `GET /health`: public liveness + database check, for load balancers and `curl`. */
export const healthRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/health', { config: { public: true } }, async (_request, reply) => {
      const dbOk = await isReachable(ctx.pool);
      const migration = dbOk ? await currentMigrationVersion(ctx.pool).catch(() => null) : null;
      return reply.status(dbOk ? 200 : 503).send({
        status: dbOk ? 'ok' : 'degraded',
        db: { ok: dbOk, migration },
      });
    });
  };
