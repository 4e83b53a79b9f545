export { type AlerterOptions, createAlerter } from './alerts.js';
export { schedulerErrors } from './errors.js';
export {
  createWebhookProcessor,
  type ProcessResult,
  type WebhookProcessor,
  type WebhookProcessorOptions,
} from './process-webhook.js';
export { pruneProviderWebhooks } from './prune-provider-webhooks.js';
export { type ReceiveOutcome, receiveProviderWebhook } from './receive-webhook.js';
export { pruneRunRollups } from './run-rollups.js';
export { type RunBucket, type RunStats, type RunStatsOptions, runStats, type StatsWindow } from './run-stats.js';
export { createScheduler, type Scheduler, type SchedulerOptions, type SyncSelector } from './scheduler.js';
export type {
  HandshakeAnswer,
  InboundNotification,
  InboundWebhookRequest,
  ProviderWebhookRouter,
  StoredNotification,
  Verification,
  WebhookConnection,
  WebhookIntegration,
  WebhookRoute,
  WebhookRoutingContext,
} from './webhook-router.js';
export { WebhookRouterRegistry } from './webhook-router.js';
export {
  catalogueRuleRouter,
  forwardOnlyRouter,
  payloadHash,
  ruleRouter,
  valueAtPath,
  wholeBody,
} from './webhook-rule-router.js';
export { webhookUrlResolver } from './webhook-url.js';
