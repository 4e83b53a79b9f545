import { createHash } from 'node:crypto';
import { verifyWebhook } from '@weft/records';
import { expect } from 'vitest';
import type { FakeSubscription } from '../fakes/microsoft-graph-subscriptions.js';
import type { Body } from '../helpers/api-harness.js';
import { eventually } from '../scheduler/helpers.js';
import type { MicrosoftE2E } from './microsoft-e2e.js';

/**
 * Helpers for the real-time (Graph change notification) end-to-end suites: every wait is on an
 * observable event (a record, a webhook, a stored notification, a request at the fake), never a sleep.
 */
export function realtime(e: MicrosoftE2E, key: string) {
  const { h, graph } = e;
  const webhookUrl = `${h.url}/webhook/dev/${key}`;
  const connectionRowId = async (): Promise<number> =>
    Number(
      (
        await h.db.pool.query<{ id: string }>('SELECT id::text AS id FROM connections WHERE connection_id = $1', [
          e.connectionId,
        ])
      ).rows[0]?.id,
    );

  return {
    webhookUrl,
    connectionRowId,
    /** The live subscriptions at Graph for this notification URL. */
    live: (): FakeSubscription[] =>
      graph.subscriptions.all().filter((s) => s.notificationUrl === webhookUrl && s.expiresAt > Date.now()),

    /** Trigger a sync once by hand (its schedule is a day) and wait for that run. */
    async firstRun(sync: string): Promise<void> {
      await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: key, syncs: [sync] } });
      await eventually(async () => (await e.successfulRuns(sync)) >= 1, 60_000, `the first run of ${sync}`);
      // Its webhook too, so later waits for a webhook never take this one for theirs.
      await eventually(
        async () => e.hooks.some((hook) => (JSON.parse(hook.body) as Body).syncName === sync),
        30_000,
        `the webhook of the first run of ${sync}`,
      );
    },

    /** Records of a model changed after `cursor` (every page). */
    since: async (model: string, cursor: string | undefined) => (await e.allRecords(model, cursor)).records,

    /** Wait until a record with this id (and action) is readable after `cursor`. */
    async record(model: string, cursor: string | undefined, id: string, action: string): Promise<Body> {
      return eventually(
        async () =>
          (await e.allRecords(model, cursor)).records.find(
            (r) => r.id === id && r._nango_metadata.last_action === action,
          ),
        60_000,
        `${action} ${model} ${id}`,
      );
    },

    /** The cursor after every record of a model so far. */
    cursor: async (model: string): Promise<string | undefined> => (await e.allRecords(model)).last,

    /**
     * Wait until nothing is in flight: no run queued or running, no notification unprocessed, no
     * webhook undelivered. Then `e.hooks.length` is a clean starting point for the next change.
     */
    async quiet(): Promise<number> {
      await eventually(
        async () => {
          const { rows } = await h.db.pool.query<{ busy: number }>(
            `SELECT (SELECT count(*) FROM sync_runs WHERE status IN ('queued', 'running'))
                  + (SELECT count(*) FROM provider_webhooks WHERE status IN ('received', 'processing'))
                  + (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending') AS busy`,
          );
          return Number(rows[0]?.busy) === 0;
        },
        60_000,
        'nothing in flight',
      );
      return e.hooks.length;
    },

    /** A signed sync webhook announcing changes of a model after `index` in the hooks list. */
    async signedHook(sync: string, model: string, from: number): Promise<Body> {
      const secret = (await h.get('/webhooks/settings')).secret as string;
      const hook = await eventually(
        async () =>
          e.hooks.slice(from).find((entry) => {
            const body = JSON.parse(entry.body) as Body;
            return body.type === 'sync' && body.syncName === sync && body.success === true && body.model === model;
          }),
        30_000,
        `a ${sync} webhook`,
      );
      expect(verifyWebhook(hook.body, hook.headers, secret)).toBe(true);
      return JSON.parse(hook.body) as Body;
    },

    /** Runs of a sync (oldest first): how each was triggered. */
    async runs(sync: string): Promise<Array<{ trigger: string; status: string }>> {
      return (
        await h.db.pool.query<{ trigger: string; status: string }>(
          'SELECT trigger, status FROM sync_runs WHERE sync_name = $1 ORDER BY created_at',
          [sync],
        )
      ).rows;
    },

    /** Inbound notifications Weft stored for this integration, oldest first. */
    async inbox(): Promise<Array<{ status: string; outcome: Body; payload: Body }>> {
      return (
        await h.db.pool.query<{ status: string; outcome: Body; payload: Body }>(
          'SELECT status, outcome, payload FROM provider_webhooks WHERE provider_config_key = $1 ORDER BY id',
          [key],
        )
      ).rows;
    },

    /** Weft's subscription rows of this connection. */
    rows: async () => h.subscriptions.ofConnection(await connectionRowId()),

    /** POST a body to the integration's webhook URL as Graph would. */
    post: (body: unknown) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),

    sha256: (value: string) => createHash('sha256').update(value).digest(),
  };
}
