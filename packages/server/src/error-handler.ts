import { coreErrors, isWeftError } from '@weft/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/** Every failure leaves the API as `{ error: { code, message, details? } }` with a stable code. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const error = coreErrors.create('WEFT_API_NOT_FOUND', { method: request.method, url: request.url.split('?')[0] });
    return reply.status(404).send({ error: error.toJSON() });
  });

  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (isWeftError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      return reply.status(error.status).send({ error: error.toJSON() });
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const weft = coreErrors.create('WEFT_API_PAYLOAD_TOO_LARGE', { limit: app.initialConfig.bodyLimit });
      return reply.status(413).send({ error: weft.toJSON() });
    }
    if (fastifyError.statusCode !== undefined && fastifyError.statusCode < 500) {
      // Fastify's own 4xx (bad JSON, wrong content type): keep its message, give it our code.
      const weft = coreErrors.create('WEFT_API_INVALID_REQUEST', { problems: fastifyError.message });
      return reply.status(fastifyError.statusCode).send({ error: { ...weft.toJSON(), code: weft.code } });
    }
    request.log.error({ err: error }, 'unhandled error');
    const weft = coreErrors.create('WEFT_CORE_INTERNAL', { reason: 'see the server log for details' });
    return reply.status(500).send({ error: weft.toJSON() });
  });
}
