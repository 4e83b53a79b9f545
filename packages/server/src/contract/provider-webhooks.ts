import { z } from 'zod';

/** Inbound provider webhooks: `POST /webhook/:environment/:integration` (public, Nango's webhook URL). */

export const providerWebhookParams = z.object({
  environment: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\w.-]+$/, { error: 'must be an environment name' }),
  integration: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\w.:-]+$/, { error: "must be an integration's unique key" }),
});

/** Any body the provider sends (JSON, form-encoded, text), kept raw for signature checks. */
export const providerWebhookBody = z.unknown().meta({ description: "The provider's notification, unchanged" });

/** The acknowledgement once every notification of the request is stored (or was already). */
export const providerWebhookAck = z.object({ status: z.literal('success') });

/** A subscription handshake echoed synchronously (e.g. Microsoft Graph's validationToken). */
export const providerWebhookHandshake = z.string();
