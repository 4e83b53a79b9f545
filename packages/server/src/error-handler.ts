import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { coreErrors, isWeftError } from '@weft/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A Postgres error caused by a value the client sent: data exceptions (class 22: invalid
 * encoding, dates out of range, numbers too large, bad escape in a pattern) and program limits
 * (54000: a key too long to index). Those are the input's fault, whichever route let them through.
 */
function isInputDataError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('22') || code === '54000') &&
    typeof (error as { severity?: unknown }).severity === 'string'
  );
}

/** Fastify's router failures (a path segment longer than maxParamLength, a malformed URL) in Weft's shape. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const url = request.url.split('?')[0] ?? '';
  const weft =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? coreErrors.create('WEFT_API_URL_TOO_LONG', {
          url: url.length > 200 ? `${url.slice(0, 200)}…` : url,
          limit: 100,
        })
      : coreErrors.create('WEFT_API_INVALID_REQUEST', { problems: error.message.slice(0, 300) });
  void reply
    .status(error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : (error.statusCode ?? 400))
    .send({ error: weft.toJSON() });
}

/**
 * Node's HTTP parser rejects a request before Fastify sees it (headers or request line over
 * 16 KiB, malformed HTTP): answer in Weft's shape rather than a bare 431/400, then close.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : tooLarge ? 431 : 400;
  const weft = tooLarge
    ? coreErrors.create('WEFT_API_HEADERS_TOO_LARGE', {})
    : coreErrors.create('WEFT_API_INVALID_REQUEST', {
        problems: status === 408 ? 'the request took too long to arrive' : 'malformed HTTP request',
      });
  const body = JSON.stringify({ error: weft.toJSON() });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

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
    if (isInputDataError(error)) {
      const weft = coreErrors.create(
        'WEFT_API_INVALID_REQUEST',
        { problems: `a value cannot be stored or compared: ${error.message}` },
        { issues: [{ path: 'input', message: error.message }] },
      );
      return reply.status(400).send({ error: weft.toJSON() });
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
