export { type ActionHeartbeats, startActionHeartbeats } from './action-heartbeats.js';
export {
  type ActionLifecycleDeps,
  type AsyncActionAcceptor,
  runActionNow,
  startAsyncAction,
} from './action-lifecycle.js';
export {
  type ActionRun,
  type ActionRunOutcome,
  type ActionRunStart,
  finishActionRun,
  getAsyncActionRun,
  heartbeatActionRuns,
  listActionRunOperations,
  pruneActionRunsSlice,
  reapActionRuns,
  recordActionRun,
  startActionRun,
} from './action-runs.js';
export { type AlerterOptions, type AlertSubject, createAlerter } from './alerts.js';
export { createCheckpointStore, listCheckpoints, type SavedCheckpoint } from './checkpoint-store.js';
export { schedulerErrors } from './errors.js';
export {
  createMaintenance,
  type Maintenance,
  type MaintenanceJob,
  type MaintenanceOptions,
  pruneMaintenanceRuns,
} from './maintenance.js';
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
export { type RunMetrics, runMetrics, type SyncHealth, syncHealth } from './sync-health.js';
export { listSyncRunOperations, pruneSyncRunsSlice } from './sync-run-log.js';
export type { SyncRun, SyncStatus } from './sync-status.js';
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
