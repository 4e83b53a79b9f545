export { canonicalJson, contentHash } from './canonical-json.js';
export { recordsErrors } from './errors.js';
export { listModels, registerModels } from './model-registry.js';
export { applyRetention, pruneRecords, type RetentionSettings } from './prune-records.js';
export {
  countLiveRecords,
  type ExhaustedDelivery,
  exhaustedDeliveries,
  type LiveRecordCount,
  listWebhookOperations,
  pruneWebhookEventsSlice,
  type RecordsMetrics,
  recordsMetrics,
} from './read-models.js';
export {
  type ReadRecordsQuery,
  type RecordAction,
  type RecordsBody,
  type RecordsPage,
  readRecords,
  readRecordsBody,
} from './read-records.js';
export {
  createRecordCipher,
  deriveRecordsKey,
  openPayload,
  type RecordCipher,
  type RecordCipherKeys,
} from './record-cipher.js';
export { countRecordsByModel, type ModelRecordCount } from './record-counts.js';
export { decodeCursor, encodeCursor } from './record-cursor.js';
export {
  createRecordStore,
  deepMerge,
  type RecordScope,
  type RecordStore,
  type RecordStoreOptions,
  type SnapshotInfo,
  type WriteOptions,
  type WriteResult,
} from './record-store.js';
export {
  createRecordsReader,
  type RecordsReader,
  type RecordsReaderOptions,
} from './records-reader.js';
export { type RecordsTarget, resolveRecordsTarget } from './records-target.js';
export { resealRecords } from './reseal-records.js';
export { type RunChangeCounts, takeRunChanges } from './run-changes.js';
export {
  compileModelSchema,
  type ValidationPolicy,
  type ValidationProblem,
  validateRecords,
} from './validate-records.js';
export {
  type Delivery,
  type DeliveryAttempt,
  type DeliveryState,
  getDelivery,
  listDeliveries,
  replayDelivery,
} from './webhook-deliveries.js';
export {
  createWebhookDeliveryWorker,
  type DeliveryPolicy,
  defaultDeliveryPolicy,
  retryDelayMs,
  type WebhookDeliveryWorker,
  webhookBody,
} from './webhook-delivery.js';
export {
  enqueueSyncEvent,
  enqueueWebhookEvent,
  type SyncEventInput,
  WEBHOOK_CHANNEL,
  type WebhookEventInput,
} from './webhook-outbox.js';
export {
  getWebhookSettings,
  rotateWebhookSecret,
  updateWebhookSettings,
  type WebhookSettings,
} from './webhook-settings.js';
export { signWebhook, type VerifyWebhookOptions, verifyWebhook } from './webhook-signature.js';
export { type WebhookBucket, type WebhookStats, type WebhookStatsWindow, webhookStats } from './webhook-stats.js';
