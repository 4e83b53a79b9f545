import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookDeliveryWorker, verifyWebhook, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { expect } from 'vitest';
import { browse } from '../auth/browse.js';
import {
  type GraphSeed,
  type MicrosoftGraphFake,
  type MicrosoftGraphOptions,
  startMicrosoftGraphFake,
} from '../fakes/microsoft-graph.js';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

export interface MicrosoftE2E {
  h: ApiHarness;
  identity: MicrosoftIdentityFake;
  graph: MicrosoftGraphFake;
  /** Webhook requests received, oldest first. */
  hooks: Array<{ headers: Record<string, string | string[] | undefined>; body: string }>;
  connectionId: string;
  /** The integration's client secret (tests scan outputs for it). */
  clientSecret: string;
  /** Headers of the records and action APIs for this connection. */
  headers(): Record<string, string>;
  /** Every record of a model (following cursors), and the cursor of the last one. */
  allRecords(model: string, cursor?: string): Promise<{ records: Body[]; last?: string }>;
  successfulRuns(sync: string): Promise<number>;
  /** Wait for the next successful run of a sync that starts after this call. */
  nextRun(sync: string): Promise<void>;
  /** The first successful sync webhook for a sync, verified against the signing secret. */
  signedSyncWebhook(sync: string): Promise<Body>;
  close(): Promise<void>;
}

/**
 * One shipped Microsoft integration, end to end: Weft with a scheduler (hourly syncs fire every 2 s),
 * the fake identity platform and Graph, a webhook receiver, the end user connecting through the
 * connect page and OAuth, and the integration's scripts compiled and deployed from `integrations/`.
 */
export async function startMicrosoftE2E(options: {
  key: string;
  tenant: 'common' | 'organizations' | 'consumers';
  seed: GraphSeed;
  /** More Graph fake options (e.g. `sharepointRest`). */
  graph?: Omit<MicrosoftGraphOptions, 'identity' | 'seed'>;
  /** The identity platform's clock (tests expire tokens by moving it). */
  now?: () => number;
  /** Keep the API's request log lines in `h.logs`. */
  captureLogs?: boolean;
  /** Scheduler settings. @default hourly syncs fire every 2 s */
  scheduler?: { timeScale: number; tickMs?: number; concurrency?: number };
  /** Extra server settings (environment variables). */
  env?: Record<string, string>;
  /**
   * Let Graph deliver change notifications (the real-time path). Off by default: suites about
   * scheduled runs count exactly what each scheduled run saw, which notifications would split.
   */
  notifications?: boolean;
}): Promise<MicrosoftE2E> {
  const clientSecret = 'app-s3cret';
  const h = await startApi({
    ...(options.captureLogs ? { captureLogs: true } : {}),
    scheduler: { timeScale: 2 / 3600, tickMs: 50, concurrency: 2, ...options.scheduler },
    ...(options.env ? { env: options.env } : {}),
  });
  const identity = await startMicrosoftIdentityFake({
    clients: { app: { secret: clientSecret, redirectUris: [`${h.url}/oauth/callback`] } },
    ...(options.now ? { now: options.now } : {}),
  });
  const graph = await startMicrosoftGraphFake({ ...options.graph, identity, seed: options.seed });
  if (options.notifications !== true) graph.subscriptions.loseNext(Number.MAX_SAFE_INTEGER);
  const hooks: MicrosoftE2E['hooks'] = [];
  const receiver: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  await h.api('/webhooks/settings', {
    method: 'PUT',
    json: { primary_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` },
  });
  const deliveries: WebhookDeliveryWorker = createWebhookDeliveryWorker({
    pool: h.db.pool,
    box: h.box,
    policy: { pollMs: 25 },
  });
  await deliveries.start();

  const created = await h.api('/integrations', {
    method: 'POST',
    json: {
      unique_key: options.key,
      provider: options.key,
      credentials: { client_id: 'app', client_secret: clientSecret },
      overrides: {
        authorization_url: `${identity.url}/${options.tenant}/oauth2/v2.0/authorize`,
        token_url: `${identity.url}/${options.tenant}/oauth2/v2.0/token`,
        proxy: { base_url: graph.baseUrl },
      },
    },
  });
  expect(created.status).toBe(201);
  const session = (
    (await (await h.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'megan' } } })).json()) as Body
  ).data;
  const page = await browse(`${h.url}/oauth/connect/${options.key}?connect_session_token=${session.token}`);
  expect(page.body).toContain('data-state="connected"');
  const connectionId = (await h.get(`/connections?provider_config_key=${options.key}`)).connections[0]
    .connection_id as string;
  const integrationDir = new URL(`../../integrations/${options.key}`, import.meta.url).pathname;
  await h.runner.deploy(h.environmentId, options.key, await compileIntegration(integrationDir));

  const headers = () => ({ 'Connection-Id': connectionId, 'Provider-Config-Key': options.key });
  const successfulRuns = async (sync: string) =>
    (await runsOf(h.db.pool, sync)).filter((r) => r.status === 'success').length;
  return {
    h,
    identity,
    graph,
    hooks,
    connectionId,
    clientSecret,
    headers,
    async allRecords(model, cursor) {
      const records: Body[] = [];
      let next = cursor;
      let last = cursor;
      for (;;) {
        const result = await h.get(`/records?model=${model}&limit=100${next ? `&cursor=${next}` : ''}`, {
          headers: headers(),
        });
        records.push(...result.records);
        if (result.records.length > 0) last = result.records.at(-1)._nango_metadata.cursor;
        if (!result.next_cursor) return { records, ...(last ? { last } : {}) };
        next = result.next_cursor;
      }
    },
    successfulRuns,
    async nextRun(sync) {
      // Runs already under way may have read the data before the caller changed it: wait for one
      // that starts after now.
      const since = (await h.db.pool.query<{ now: string }>('SELECT now()::text AS now')).rows[0]?.now;
      await eventually(
        async () =>
          (
            await h.db.pool.query(
              `SELECT 1 FROM sync_runs WHERE sync_name = $1 AND status = 'success' AND started_at > $2`,
              [sync, since],
            )
          ).rows.length > 0,
        60_000,
        `a run of ${sync} after the change`,
      );
    },
    async signedSyncWebhook(sync) {
      const secret = (await h.get('/webhooks/settings')).secret as string;
      const hook = await eventually(
        async () =>
          hooks.find((entry) => {
            const body = JSON.parse(entry.body) as Body;
            return body.type === 'sync' && body.syncName === sync && body.success === true;
          }),
        20_000,
        `the ${sync} webhook`,
      );
      expect(verifyWebhook(hook.body, hook.headers, secret)).toBe(true);
      return JSON.parse(hook.body) as Body;
    },
    async close() {
      await deliveries.stop();
      receiver.closeAllConnections();
      receiver.close();
      await graph.close();
      await identity.close();
      await h.close();
    },
  };
}
