import { type Pool, type PoolClient, withTransaction } from '@weft/db';
import type { OutboundProxy } from '@weft/proxy';
import { newClientState } from './client-state.js';
import { subscriptionErrors } from './errors.js';
import { type GraphResourceSpec, graphResourceSpec, renewAfterMs, requestedLifetimeMs } from './graph-resources.js';
import type { GraphSubscriptionRow } from './sql.js';
import * as sql from './sql.js';

/** A connection as the manager needs it: its row id (foreign key) and its API identity. */
export interface SubscribedConnection {
  /** connections.id */
  id: number;
  environmentId: number;
  providerConfigKey: string;
  connectionId: string;
}

/** What the manager reads of a deployed script (the runner's `scriptsConfig`). */
export interface DeployedScriptInfo {
  kind: string;
  name: string;
  definition: { kind: string; webhookSubscriptions?: string[] | undefined; webhookHandler?: boolean | undefined };
}

export interface SubscriptionManagerOptions {
  pool: Pool;
  /** Graph calls go through Weft's proxy: credentials injected and refreshed host-side, retries, request log. */
  proxy: Pick<OutboundProxy, 'request'>;
  /** The active deployment's scripts of an integration (the runner's `scriptsConfig`). */
  scripts(environmentId: number, providerConfigKey: string): Promise<DeployedScriptInfo[]>;
  /** Every connection of an integration (after a deploy). */
  connections(environmentId: number, providerConfigKey: string): Promise<SubscribedConnection[]>;
  /** The public URL Graph posts notifications to (the integration's `getWebhookURL()`). */
  notificationUrl(environmentId: number, providerConfigKey: string): Promise<string>;
  /** A failed creation or renewal is retried after this long. @default 300 */
  retrySeconds?: number;
  /** Failures of background steps (creation on connect, renewal). */
  onError?(error: unknown, context: Record<string, unknown>): void;
}

/** A sync's Graph subscriptions as its definition declares them (`webhookSubscriptions`). */
export interface WantedSubscription {
  syncName: string;
  resource: string;
  spec: GraphResourceSpec;
}

export type SubscriptionManager = ReturnType<typeof createSubscriptionManager>;

interface GraphSubscriptionBody {
  id: string;
  expirationDateTime: string;
}

const describe = (error: unknown): string => {
  const response = (error as { response?: { status?: number; data?: unknown } }).response;
  if (response?.status !== undefined) {
    const data = response.data as { error?: { code?: string; message?: string } } | undefined;
    return `HTTP ${response.status}${data?.error ? ` ${data.error.code}: ${data.error.message}` : ''}`;
  }
  return (error as Error).message;
};

const statusOf = (error: unknown): number | undefined => (error as { response?: { status?: number } }).response?.status;

/**
 * The life of Microsoft Graph change notification subscriptions for syncs that declare Graph
 * resources in `webhookSubscriptions`: created when a connection is made or such a sync is
 * deployed (Graph validates the notification URL with its handshake during creation), renewed at
 * half-life by `renewDue` (a scheduled job; each resource has its own maximum lifetime), renewed on
 * `reauthorizationRequired`, recreated on `subscriptionRemoved` or when Graph no longer knows it,
 * deleted with the connection. Every Graph call goes through the proxy with the connection's
 * credentials. Rows are locked (`FOR UPDATE SKIP LOCKED`) around each step so a fleet of
 * processes never creates the same subscription twice.
 */
export function createSubscriptionManager(options: SubscriptionManagerOptions) {
  const { pool, proxy } = options;
  const retrySeconds = options.retrySeconds ?? 300;

  const refOf = (row: GraphSubscriptionRow) => ({
    environmentId: row.environment_id,
    providerConfigKey: row.provider_config_key,
    connectionId: row.external_connection_id,
  });

  async function wanted(environmentId: number, providerConfigKey: string): Promise<WantedSubscription[]> {
    const scripts = await options.scripts(environmentId, providerConfigKey);
    const out: WantedSubscription[] = [];
    for (const script of scripts) {
      if (script.kind !== 'sync' || script.definition.kind !== 'sync') continue;
      for (const resource of script.definition.webhookSubscriptions ?? []) {
        const spec = graphResourceSpec(resource);
        if (spec !== undefined) out.push({ syncName: script.name, resource, spec });
      }
    }
    return out;
  }

  /** Create at Graph (fresh clientState), inside the row's lock. */
  async function create(row: GraphSubscriptionRow, db: PoolClient): Promise<void> {
    const spec = graphResourceSpec(row.resource);
    if (spec === undefined) return;
    const { clientState, hash } = newClientState();
    const lifetimeMs = requestedLifetimeMs(spec);
    const url = await options.notificationUrl(row.environment_id, row.provider_config_key);
    const response = await proxy.request<GraphSubscriptionBody>(refOf(row), {
      method: 'POST',
      endpoint: '/v1.0/subscriptions',
      headers: spec.kind === 'driveItem' ? {} : { Prefer: 'IdType="ImmutableId"' },
      data: {
        changeType: row.change_type,
        notificationUrl: url,
        lifecycleNotificationUrl: url,
        resource: row.resource,
        expirationDateTime: new Date(Date.now() + lifetimeMs).toISOString(),
        clientState,
        latestSupportedTlsVersion: 'v1_2',
      },
    });
    await db.query(
      sql.markActive({
        id: row.id,
        subscriptionId: response.data.id,
        clientStateHash: hash,
        expiresAt: response.data.expirationDateTime,
        renewAfterSeconds: renewAfterMs(lifetimeMs) / 1000,
        renewed: false,
      }),
    );
  }

  /** Renew at Graph; a subscription Graph no longer has (404) is recreated. */
  async function renew(row: GraphSubscriptionRow, db: PoolClient): Promise<void> {
    const spec = graphResourceSpec(row.resource);
    if (spec === undefined) return;
    if (row.subscription_id === null) {
      await create(row, db);
      return;
    }
    const lifetimeMs = requestedLifetimeMs(spec);
    try {
      const response = await proxy.request<GraphSubscriptionBody>(refOf(row), {
        method: 'PATCH',
        endpoint: `/v1.0/subscriptions/${encodeURIComponent(row.subscription_id)}`,
        data: { expirationDateTime: new Date(Date.now() + lifetimeMs).toISOString() },
      });
      await db.query(
        sql.markActive({
          id: row.id,
          subscriptionId: row.subscription_id,
          clientStateHash: null,
          expiresAt: response.data.expirationDateTime,
          renewAfterSeconds: renewAfterMs(lifetimeMs) / 1000,
          renewed: true,
        }),
      );
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await db.query(sql.markGone(row.id));
      await create({ ...row, subscription_id: null }, db);
    }
  }

  /** One lifecycle step on a row under its lock; a failure is stored and retried by the renewal job. */
  async function step(
    rowId: string,
    action: (row: GraphSubscriptionRow, db: PoolClient) => Promise<void>,
  ): Promise<boolean> {
    return withTransaction(pool, async (client) => {
      const row = (await client.query<GraphSubscriptionRow>(sql.lockRow(rowId))).rows[0];
      if (row === undefined) return false; // another process has it (or it is gone)
      try {
        await action(row, client);
        return true;
      } catch (error) {
        await client.query(sql.markFailed(row.id, describe(error), retrySeconds));
        options.onError?.(
          subscriptionErrors.create(
            'WEFT_SUBSCRIPTIONS_CREATE_FAILED',
            { resource: row.resource, connectionId: row.external_connection_id, reason: describe(error) },
            undefined,
            error,
          ),
          { subscription: row.id },
        );
        return false;
      }
    });
  }

  const manager = {
    /** Graph resources the integration's deployed syncs subscribe to. */
    wanted,

    /** Subscriptions of one connection exist at Graph (on connect, and for each after a deploy). */
    async ensureConnection(connection: SubscribedConnection): Promise<void> {
      for (const want of await wanted(connection.environmentId, connection.providerConfigKey)) {
        const row = (
          await pool.query<GraphSubscriptionRow>(
            sql.upsertWanted({
              environmentId: connection.environmentId,
              connectionRowId: connection.id,
              providerConfigKey: connection.providerConfigKey,
              connectionId: connection.connectionId,
              syncName: want.syncName,
              resource: want.resource,
              changeType: want.spec.changeType,
            }),
          )
        ).rows[0];
        if (row !== undefined && row.state !== 'active') await step(row.id, create);
      }
    },

    /** After a deploy: every connection of the integration gets the subscriptions its syncs declare. */
    async ensureIntegration(environmentId: number, providerConfigKey: string): Promise<void> {
      if ((await wanted(environmentId, providerConfigKey)).length === 0) return;
      for (const connection of await options.connections(environmentId, providerConfigKey)) {
        await manager
          .ensureConnection(connection)
          .catch((error: unknown) => options.onError?.(error, { connection: connection.connectionId }));
      }
    },

    /**
     * The scheduled job: renew what is past half-life, create what is pending, retry what failed.
     * `withinSeconds` also takes rows due that much later (operators and tests force a round).
     * Returns how many rows it handled.
     */
    async renewDue(input: { withinSeconds?: number; limit?: number } = {}): Promise<number> {
      const rows = (await pool.query<GraphSubscriptionRow>(sql.due(input.limit ?? 100, input.withinSeconds ?? 0))).rows;
      let done = 0;
      for (const row of rows) if (await step(row.id, renew)) done += 1;
      return done;
    },

    /** `reauthorizationRequired`: renewing (PATCH) is one of the two answers Graph documents. */
    reauthorize: (row: GraphSubscriptionRow) => step(row.id, renew),

    /** `subscriptionRemoved`: Graph dropped it; create a new one (with a new clientState). */
    async recreate(row: GraphSubscriptionRow): Promise<boolean> {
      await pool.query(sql.markGone(row.id));
      return step(row.id, create);
    },

    /** Before a connection is deleted: its subscriptions are deleted at Graph (best effort) and here. */
    async deleteConnection(connectionRowId: number): Promise<void> {
      for (const row of (await pool.query<GraphSubscriptionRow>(sql.ofConnection(connectionRowId))).rows) {
        if (row.subscription_id !== null) {
          await proxy
            .request(refOf(row), {
              method: 'DELETE',
              endpoint: `/v1.0/subscriptions/${encodeURIComponent(row.subscription_id)}`,
            })
            .catch((error: unknown) => {
              // Already gone at Graph is what we wanted; anything else expires there by itself.
              if (statusOf(error) !== 404) options.onError?.(error, { subscription: row.subscription_id });
            });
        }
        await pool.query(sql.deleteRow(row.id));
      }
    },

    /** The subscription rows of a connection (status, tests). */
    async ofConnection(connectionRowId: number): Promise<GraphSubscriptionRow[]> {
      return (await pool.query<GraphSubscriptionRow>(sql.ofConnection(connectionRowId))).rows;
    },

    async bySubscriptionId(subscriptionId: string): Promise<GraphSubscriptionRow | undefined> {
      return (await pool.query<GraphSubscriptionRow>(sql.bySubscriptionId(subscriptionId))).rows[0];
    },
  };
  return manager;
}
