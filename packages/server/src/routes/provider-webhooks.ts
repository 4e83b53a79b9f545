import { isWeftError } from '@weft/core';
import { findEnvironmentByName } from '@weft/db';
import { schedulerErrors } from '@weft/scheduler';
import type { FastifyError, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { providerWebhookParams } from '../contract/provider-webhooks.js';
import { parseRequest } from '../validate.js';
import { WebhookRateLimit } from '../webhook-rate-limit.js';

/** The body as a router wants it: JSON when it is JSON (or Slack-style form `payload=`), else undefined. */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(text));
    if (typeof form.payload === 'string') {
      try {
        return JSON.parse(form.payload) as unknown;
      } catch {
        return form;
      }
    }
    return form;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function flatHeaders(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function flatQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[name] = first;
  }
  return out;
}

/**
 * `POST /webhook/:environment/:integration`: where providers send their notifications (the URL
 * `nango.getWebhookURL()` returns). Public (providers hold no secret key), rate-limited per
 * integration, body-size limited, the body kept raw. A handshake is answered at once; otherwise
 * every notification is committed to the inbox before the 2xx, and processed by the workers.
 */
export const providerWebhookRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const { auth, scheduler } = ctx;
    if (!auth || !scheduler) return;
    const bodyLimit = ctx.config.WEFT_WEBHOOK_BODY_LIMIT_BYTES;
    const rateLimit = new WebhookRateLimit(ctx.config.WEFT_WEBHOOK_RATE_LIMIT);
    // This plugin's own parsers: any content type, kept as bytes (signatures cover the raw body).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
    app.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const weft = schedulerErrors.create('WEFT_WEBHOOK_PAYLOAD_TOO_LARGE', { limit: bodyLimit });
        return reply.status(413).send({ error: weft.toJSON() });
      }
      throw error;
    });

    app.post('/webhook/:environment/:integration', { config: { public: true }, bodyLimit }, async (request, reply) => {
      const params = parseRequest(providerWebhookParams, request.params, 'params');
      const unknownTarget = () =>
        schedulerErrors.create('WEFT_WEBHOOK_UNKNOWN_TARGET', {
          integration: params.integration,
          environment: params.environment,
        });
      const environment = await findEnvironmentByName(ctx.pool, params.environment);
      if (environment === null) throw unknownTarget();
      if (!rateLimit.take(`${environment.id}:${params.integration}`)) {
        const weft = schedulerErrors.create('WEFT_WEBHOOK_RATE_LIMITED', {
          integration: params.integration,
          limit: ctx.config.WEFT_WEBHOOK_RATE_LIMIT,
        });
        return reply.status(429).header('retry-after', '1').send({ error: weft.toJSON() });
      }
      const integration = await auth.getIntegration(environment.id, params.integration).catch((error: unknown) => {
        if (isWeftError(error, 'WEFT_AUTH_INTEGRATION_NOT_FOUND')) throw unknownTarget();
        throw error;
      });
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const outcome = await scheduler.receiveWebhook({
        environmentId: environment.id,
        integration: { id: integration.id, uniqueKey: integration.uniqueKey, provider: integration.provider },
        query: flatQuery(request.query),
        headers: flatHeaders(request),
        rawBody,
        body: parseBody(rawBody, request.headers['content-type']),
      });
      if (outcome.kind === 'handshake')
        return reply.status(outcome.answer.status).type(outcome.answer.contentType).send(outcome.answer.body);
      return reply.status(outcome.status).send({ status: 'success' });
    });
  };
