import { listEnvironmentVariables, replaceEnvironmentVariables } from '@weft/db';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { environmentVariablesBody, environmentVariablesResponse } from '../contract/environment-variables.js';
import { serialize } from '../contract/shared.js';
import { parseRequest } from '../validate.js';

/**
 * The environment's script variables: `GET /environment-variables` is the route @nangohq/node's
 * `getEnvironmentVariables()` calls (and what scripts get from `nango.getEnvironmentVariables()`);
 * `PUT /environment-variables` replaces the whole list. Values are stored sealed.
 */
export const environmentVariableRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/environment-variables', async (request) =>
      serialize(
        environmentVariablesResponse,
        await listEnvironmentVariables(ctx.pool, ctx.box, request.environment.id),
      ),
    );
    app.put('/environment-variables', async (request) => {
      const body = parseRequest(environmentVariablesBody, request.body, 'body');
      await replaceEnvironmentVariables(ctx.pool, ctx.box, request.environment.id, body);
      return serialize(
        environmentVariablesResponse,
        await listEnvironmentVariables(ctx.pool, ctx.box, request.environment.id),
      );
    });
  };
