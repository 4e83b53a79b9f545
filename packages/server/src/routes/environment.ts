import type { FastifyPluginAsync } from 'fastify';
import { environmentResponse } from '../contract/operations.js';
import { serialize } from '../contract/shared.js';

/** `GET /environment`: which environment the secret key belongs to (also a cheap key check for clients). */
export const environmentRoutes: FastifyPluginAsync = async (app) => {
  app.get('/environment', async (request) =>
    serialize(environmentResponse, {
      environment: {
        id: request.environment.id,
        name: request.environment.name,
        created_at: request.environment.createdAt,
      },
    }),
  );
};
