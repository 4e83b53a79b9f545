import { coreErrors } from '@weft/core';
import { type Environment, findEnvironmentBySecretKey, hashSecretKey, type Pool } from '@weft/db';
import type { FastifyInstance } from 'fastify';
import type { LookupCache } from './lookup-cache.js';

/**
 * Every route needs `Authorization: Bearer <secret key>` unless it declares
 * `config: { public: true }`. Unknown routes fall through to the 404 handler unauthenticated,
 * which reveals nothing (the route table is public in the docs anyway).
 *
 * A key's environment is remembered in `lookups` (keyed by the key's hash, never the key), so a
 * client paging through records pays no lookup per request. A rotated key reaches other
 * processes through NOTIFY (lookup-cache.ts); a request of this process that deletes something
 * (a connection, an integration) forgets every lookup before its answer is sent, so the very
 * next request is checked against the database again.
 */
export function installAuthentication(app: FastifyInstance, pool: Pool, lookups?: LookupCache): void {
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
    const secretKey = match[1] as string;
    const environment =
      lookups === undefined
        ? await findEnvironmentBySecretKey(pool, secretKey)
        : await lookups.remember<Environment | null>(`key:${hashSecretKey(secretKey)}`, async () => {
            const found = await findEnvironmentBySecretKey(pool, secretKey);
            // An unknown key is not remembered: it may become valid (a rotation) at any time.
            if (found === null) throw unknownKey();
            return found;
          });
    if (!environment) throw unknownKey();
    request.environment = environment;
  });
  if (lookups !== undefined) {
    app.addHook('onSend', async (request, reply) => {
      if (request.method === 'DELETE' && reply.statusCode < 400) lookups.invalidate();
    });
  }
}

function unknownKey() {
  return coreErrors.create('WEFT_API_UNAUTHORIZED', {
    reason: 'Unknown secret key; `weft env show` prints the current key',
  });
}
