import { coreErrors } from '@weft/core';
import { findEnvironmentBySecretKey, type Pool } from '@weft/db';
import type { FastifyInstance } from 'fastify';

/**
 * Every route needs `Authorization: Bearer <secret key>` unless it declares
 * `config: { public: true }`. Unknown routes fall through to the 404 handler unauthenticated,
 * which reveals nothing (the route table is public in the docs anyway).
 */
export function installAuthentication(app: FastifyInstance, pool: Pool): void {
  app.decorateRequest('environment');
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public === true || request.is404) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw coreErrors.create('WEFT_API_UNAUTHORIZED', {
        reason: 'Missing Authorization header: send `Authorization: Bearer <secret key>`',
      });
    }
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw coreErrors.create('WEFT_API_UNAUTHORIZED', {
        reason: 'Authorization header must be `Bearer <secret key>`',
      });
    }
    const environment = await findEnvironmentBySecretKey(pool, match[1]!);
    if (!environment) {
      throw coreErrors.create('WEFT_API_UNAUTHORIZED', {
        reason: 'Unknown secret key; `weft env show` prints the current key',
      });
    }
    request.environment = environment;
  });
}
