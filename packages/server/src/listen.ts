import type { FastifyInstance } from 'fastify';
import { serverErrors } from './errors.js';

/** Listen, translating the usual failures (port taken, no permission) into clear Weft errors. */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw serverErrors.create('WEFT_SERVER_PORT_IN_USE', { host, port });
    throw serverErrors.create('WEFT_SERVER_LISTEN_FAILED', { host, port, reason: (error as Error).message });
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${shownHost}:${actualPort}`;
}
