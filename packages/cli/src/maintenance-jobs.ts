import type { SecretBox, WeftConfig } from '@weft/core';
import type { Pool } from '@weft/db';
import { applyRetention, createWebhookDeliveryWorker, defaultDeliveryPolicy } from '@weft/records';
import {
  createAlerter,
  createMaintenance,
  type Maintenance,
  type MaintenanceJob,
  pruneProviderWebhooks,
} from '@weft/scheduler';
import { alertLinks, pruneOperationLog } from '@weft/server';

/**
 * What every process of a fleet (`weft start` and each `weft worker`) runs besides syncs: webhook
 * delivery woken by NOTIFY right after each commit (no added latency), and the housekeeping —
 * retention, the sweep of due webhook retries, alert scans — as pg-boss singleton jobs, each done
 * once per period by whichever process takes it.
 */
export function createFleetMaintenance(
  config: WeftConfig,
  pool: Pool,
  connectionString: string,
  box: SecretBox,
  publicUrl: string,
  workerId: string,
  onError: (what: string, error: unknown) => void,
  /** Graph subscriptions: renewed at half-life, pending ones created, failed ones retried (rows locked while handled). */
  subscriptions?: { renewDue(): Promise<unknown> },
): Maintenance {
  const webhooks = createWebhookDeliveryWorker({
    pool,
    box,
    policy: { pollMs: 0 },
    onError: (error) => onError('webhook delivery round failed', error),
  });
  const alerter = config.WEFT_ALERT_WEBHOOK_URL
    ? createAlerter({
        pool,
        webhookUrl: config.WEFT_ALERT_WEBHOOK_URL,
        publicUrl,
        links: alertLinks,
        onError: (error) => onError('alert delivery failed', error),
      })
    : undefined;
  const retention = {
    tombstoneDays: config.WEFT_RECORDS_TOMBSTONE_RETENTION_DAYS,
    payloadDays: config.WEFT_RECORDS_PAYLOAD_RETENTION_DAYS,
  };
  const jobs: MaintenanceJob[] = [
    {
      name: 'retention',
      periodSeconds: config.WEFT_RETENTION_INTERVAL_SECONDS,
      async run() {
        await applyRetention(pool, retention);
        await pruneOperationLog(pool, config.WEFT_LOGS_RETENTION_DAYS);
        await pruneProviderWebhooks(pool, config.WEFT_LOGS_RETENTION_DAYS);
      },
    },
    {
      name: 'webhook-retries',
      periodSeconds: Math.max(1, Math.round(defaultDeliveryPolicy.pollMs / 1000)),
      async run() {
        // Drain: full batches mean more are due.
        while ((await webhooks.runOnce()) >= defaultDeliveryPolicy.batchSize);
      },
    },
    ...(subscriptions
      ? [
          {
            name: 'graph-subscriptions',
            periodSeconds: 60,
            async run() {
              await subscriptions.renewDue();
            },
          },
        ]
      : []),
    ...(alerter
      ? [
          {
            name: 'alerts',
            periodSeconds: config.WEFT_ALERT_INTERVAL_SECONDS,
            async run() {
              await alerter.runOnce();
            },
          },
        ]
      : []),
  ];
  const maintenance = createMaintenance({
    pool,
    connectionString,
    jobs,
    workerId,
    onError: (error) => onError('maintenance job failed', error),
  });
  return {
    async start() {
      await webhooks.start();
      await maintenance.start();
    },
    async stop() {
      await maintenance.stop();
      await webhooks.stop();
    },
  };
}
