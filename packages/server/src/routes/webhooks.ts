import {
  type Delivery,
  getDelivery,
  getWebhookSettings,
  listDeliveries,
  replayDelivery,
  rotateWebhookSecret,
  updateWebhookSettings,
  type WebhookSettings,
} from '@weft/records';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { serialize } from '../contract/shared.js';
import {
  deliveriesQuery,
  deliveriesResponse,
  deliveryResponse,
  idParams,
  rotateBody,
  settingsBody,
  webhookSettingsResponse,
} from '../contract/webhooks.js';
import { parseRequest } from '../validate.js';

function settingsJson(settings: WebhookSettings) {
  return {
    primary_url: settings.primaryUrl,
    secondary_url: settings.secondaryUrl,
    send_empty_sync_events: settings.sendEmptySyncEvents,
    secret: settings.secret,
    previous_secret_expires_at: settings.previousSecretExpiresAt,
  };
}

function deliveryJson(d: Delivery) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    url: d.url,
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt,
    last_status: d.lastStatus,
    last_error: d.lastError,
    delivered_at: d.deliveredAt,
    replay_of: d.replayOf,
    created_at: d.createdAt,
    log: d.log.map((a) => ({
      attempt: a.attempt,
      attempted_at: a.attemptedAt,
      status: a.status,
      error: a.error,
      duration_ms: a.durationMs,
    })),
  };
}

/** Webhook settings (URLs, signing secret and its rotation), the delivery log and replay. */
export const webhookRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/webhooks/settings', async (request) =>
      serialize(
        webhookSettingsResponse,
        settingsJson(await getWebhookSettings(ctx.pool, ctx.box, request.environment.id)),
      ),
    );

    app.put('/webhooks/settings', async (request) => {
      const body = parseRequest(settingsBody, request.body, 'body');
      const settings = await updateWebhookSettings(ctx.pool, ctx.box, request.environment.id, {
        ...(body.primary_url === undefined ? {} : { primaryUrl: body.primary_url }),
        ...(body.secondary_url === undefined ? {} : { secondaryUrl: body.secondary_url }),
        ...(body.send_empty_sync_events === undefined ? {} : { sendEmptySyncEvents: body.send_empty_sync_events }),
      });
      return serialize(webhookSettingsResponse, settingsJson(settings));
    });

    app.post('/webhooks/settings/rotate-secret', async (request) => {
      const body = parseRequest(rotateBody, request.body ?? undefined, 'body');
      const settings = await rotateWebhookSecret(
        ctx.pool,
        ctx.box,
        request.environment.id,
        body?.grace_period_seconds ?? 86_400,
      );
      return serialize(webhookSettingsResponse, settingsJson(settings));
    });

    app.get('/webhooks/deliveries', async (request) => {
      const query = parseRequest(deliveriesQuery, request.query, 'query');
      const deliveries = await listDeliveries(ctx.pool, request.environment.id, {
        limit: query.limit,
        ...(query.event_id === undefined ? {} : { eventId: query.event_id }),
        ...(query.state === undefined ? {} : { state: query.state }),
        ...(query.before === undefined ? {} : { beforeId: query.before }),
      });
      const last = deliveries[deliveries.length - 1];
      return serialize(deliveriesResponse, {
        deliveries: deliveries.map(deliveryJson),
        next_before: deliveries.length === query.limit && last !== undefined ? last.id : null,
      });
    });

    app.get('/webhooks/deliveries/:id', async (request) => {
      const { id } = parseRequest(idParams, request.params, 'params');
      return serialize(deliveryResponse, {
        delivery: deliveryJson(await getDelivery(ctx.pool, request.environment.id, id)),
      });
    });

    app.post('/webhooks/deliveries/:id/replay', async (request, reply) => {
      const { id } = parseRequest(idParams, request.params, 'params');
      const delivery = await replayDelivery(ctx.pool, request.environment.id, id);
      return reply.status(202).send(serialize(deliveryResponse, { delivery: deliveryJson(delivery) }));
    });
  };
