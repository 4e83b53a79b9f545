import { listEnvironmentVariables, replaceEnvironmentVariables } from '@weft/db';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseRequest } from '../validate.js';

const variables = z
  .array(
    z.object({
      name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, { error: 'letters, digits and _ (not first)' }),
      value: z.string().max(10_000),
    }),
  )
  .max(500)
  .refine((list) => new Set(list.map((v) => v.name)).size === list.length, { error: 'names must be unique' });

/**
 * The environment's script variables: `GET /environment-variables` is the route @nangohq/node's
 * `getEnvironmentVariables()` calls (and what scripts get from `nango.getEnvironmentVariables()`);
 * `PUT /environment-variables` replaces the whole list. Values are stored sealed.
 */
export const environmentVariableRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/environment-variables', async (request) =>
      listEnvironmentVariables(ctx.pool, ctx.box, request.environment.id),
    );
    app.put('/environment-variables', async (request) => {
      const body = parseRequest(variables, request.body, 'body');
      await replaceEnvironmentVariables(ctx.pool, ctx.box, request.environment.id, body);
      return listEnvironmentVariables(ctx.pool, ctx.box, request.environment.id);
    });
  };
