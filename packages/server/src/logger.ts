import type { FastifyServerOptions } from 'fastify';

/** Query parameters whose values are secrets or single-use tokens; their values never reach a log line. */
const SECRET_QUERY =
  /^(code|state|token|session|connect_session_token|access_token|refresh_token|api_key|apikey|key|secret|signature|sig|client_secret|password)$/i;

/** Strip secret query values from a URL for logging (`/oauth/callback?code=[redacted]&state=[redacted]`). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}

/** pino options: request lines without secrets (headers are never logged, secret query values redacted). */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.client_secret',
        '*.clientSecret',
        '*.access_token',
        '*.refresh_token',
        '*.secret_key',
        '*.secretKey',
        '*.password',
        '*.api_key',
        '*.apiKey',
        '*.credentials',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
