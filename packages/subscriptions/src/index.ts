export { clientStateMatches, hashClientState, newClientState } from './client-state.js';
export { subscriptionErrors } from './errors.js';
export { GraphNotificationBody, GraphNotificationItem, graphValidationToken } from './graph-notifications.js';
export { type GraphResourceKind, type GraphResourceSpec, graphResourceSpec } from './graph-resources.js';
export {
  createGraphWebhookRouter,
  GRAPH_ROUTING_SCRIPTS,
  type GraphWebhookRouterOptions,
} from './graph-webhook-router.js';
export type { GraphSubscriptionRow } from './sql.js';
export {
  ensureDeployedSubscriptions,
  graphProviderCheck,
  webhookHandlerCheck,
  withSubscriptionHooks,
} from './subscription-hooks.js';
export {
  createSubscriptionManager,
  type DeployedScriptInfo,
  type SubscribedConnection,
  type SubscriptionManager,
  type SubscriptionManagerOptions,
  type WantedSubscription,
} from './subscription-manager.js';
