import { z } from 'zod';

/** Webhook settings, the delivery log and replay. */

export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

export const settingsBody = z
  .object({
    primary_url: httpUrl.nullable().optional(),
    secondary_url: httpUrl.nullable().optional(),
    send_empty_sync_events: z.boolean().optional(),
  })
  .strict();

export const rotateBody = z
  .object({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
  })
  .strict()
  .optional();

export const deliveriesQuery = z.object({
  event_id: z.uuid({ error: 'must be an event id (uuid)' }).optional(),
  state: z.enum(['pending', 'delivered', 'exhausted']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

export const idParams = z.object({ id: z.coerce.number({ error: 'must be a delivery id' }).int().min(1) });

export const webhookSettingsResponse = z.object({
  primary_url: z.string().nullable(),
  secondary_url: z.string().nullable(),
  send_empty_sync_events: z.boolean(),
  /** The signing secret: Nango's `webhookSigningKey` for `verifyIncomingWebhookRequest`. */
  secret: z.string(),
  previous_secret_expires_at: z.string().nullable(),
});

export const delivery = z
  .object({
    id: z.number().int(),
    event_id: z.string(),
    event_type: z.string(),
    url: z.string(),
    state: z.enum(['pending', 'delivered', 'exhausted']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    delivered_at: z.string().nullable(),
    replay_of: z.number().int().nullable(),
    created_at: z.string(),
    log: z.array(
      z.object({
        attempt: z.number().int(),
        attempted_at: z.string(),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
        duration_ms: z.number(),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

export const deliveriesResponse = z.object({ deliveries: z.array(delivery), next_before: z.number().int().nullable() });
export const deliveryResponse = z.object({ delivery });
