/**
 * providers.yaml routing scripts whose inbound webhooks are Microsoft Graph change notifications:
 * Weft's own name (on the `microsoft` entry, inherited by its aliases) and Nango's names for Graph
 * providers. These are routed in code (the Graph router of @weft/subscriptions: handshake,
 * clientState, subscriptions), so they need no declarative `webhook_routing` rule.
 */
export const GRAPH_WEBHOOK_ROUTING_SCRIPTS: readonly string[] = [
  'microsoftGraphWebhookRouting',
  'outlookWebhookRouting',
  'microsoftClientCredentialsWebhookRouting',
];
