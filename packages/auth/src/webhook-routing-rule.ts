import { z } from 'zod';

/** Where a rule reads a value: a dotted path in the notification body, or a request header. */
const valueSource = z
  .object({
    from: z.enum(['body', 'header'], { error: 'must be body or header' }).default('body'),
    /** Dotted path in the body (`installation.id`), or the header name (case-insensitive). */
    path: z.string({ error: 'is required (a dotted body path or a header name)' }).min(1),
  })
  .strict();

/**
 * Weft extension of providers.yaml, `webhook_routing`: how inbound webhooks of a provider are
 * routed, declared as data instead of Nango's per-provider routing scripts. The subset covers
 * what most of Nango's scripts do: find the connection(s) by a value of the notification matched
 * against a connection_config or metadata key (or the connection id), read the notification's
 * type (matched against a sync's `webhookSubscriptions`), split a batch, and name a delivery id
 * for dedupe. Signature checks are not part of the subset (a provider needing one gets a router
 * in code, as Microsoft Graph does).
 */
export const webhookRoutingRuleSchema = z
  .object({
    /** Which connections a notification is for; absent = every connection of the integration. */
    connection: valueSource
      .extend({
        /** `connection_config.<key>`, `metadata.<key>` or `connection_id`. */
        match: z
          .string({ error: 'is required: connection_config.<key>, metadata.<key> or connection_id' })
          .regex(/^(connection_config\.[\w.-]+|metadata\.[\w.-]+|connection_id)$/, {
            error: 'must be connection_config.<key>, metadata.<key> or connection_id',
          }),
      })
      .strict()
      .optional(),
    /** The notification's type, matched against each sync's webhookSubscriptions. */
    event_type: valueSource.optional(),
    /** A dotted body path holding an array of notifications (`.` = the body is the array). */
    batch: z.string().min(1).optional(),
    /** The provider's delivery id (dedupe key); absent = a hash of the notification. */
    dedupe: valueSource.optional(),
    /** The status a stored request is acknowledged with. @default 200 */
    ack_status: z.number().int().min(200).max(299).optional(),
  })
  .strict();

export type WebhookRoutingRule = z.infer<typeof webhookRoutingRuleSchema>;

/**
 * The rule equivalent to some of Nango's webhook routing scripts (by script name), so an entry of
 * Nango's catalogue that names one is routed without a `webhook_routing` block of its own.
 */
export const nangoWebhookRoutingRules: Readonly<Record<string, WebhookRoutingRule>> = {
  githubAppWebhookRouting: {
    connection: { from: 'body', path: 'installation.id', match: 'connection_config.installation_id' },
    event_type: { from: 'header', path: 'x-github-event' },
    dedupe: { from: 'header', path: 'x-github-delivery' },
  },
  githubAppOauthWebhookRouting: {
    connection: { from: 'body', path: 'installation.id', match: 'connection_config.installation_id' },
    event_type: { from: 'header', path: 'x-github-event' },
    dedupe: { from: 'header', path: 'x-github-delivery' },
  },
  linearWebhookRouting: {
    connection: { from: 'body', path: 'organizationId', match: 'connection_config.organizationId' },
    event_type: { from: 'body', path: 'type' },
    dedupe: { from: 'header', path: 'linear-delivery' },
  },
};

/** The routing rule of an entry: its own `webhook_routing`, else the equivalent of its Nango script. */
export function webhookRoutingRuleOf(provider: {
  webhook_routing?: WebhookRoutingRule | undefined;
  webhook_routing_script?: string | undefined;
}): WebhookRoutingRule | undefined {
  if (provider.webhook_routing !== undefined) return provider.webhook_routing;
  const script = provider.webhook_routing_script;
  return script !== undefined ? nangoWebhookRoutingRules[script] : undefined;
}
