import { createHash, randomUUID } from 'node:crypto';
import { GRAPH_WEBHOOK_ROUTING_SCRIPTS } from '@weft/auth';
import { connectionRowId } from '@weft/db';
import type {
  HandshakeAnswer,
  InboundNotification,
  InboundWebhookRequest,
  ProviderWebhookRouter,
  StoredNotification,
  Verification,
  WebhookRoute,
} from '@weft/scheduler';
import { clientStateMatches } from './client-state.js';
import { subscriptionErrors } from './errors.js';
import { GraphNotificationBody, type GraphNotificationItem, graphValidationToken } from './graph-notifications.js';
import { graphResourceSpec } from './graph-resources.js';
import type { GraphSubscriptionRow } from './sql.js';
import type { SubscriptionManager } from './subscription-manager.js';

/** Routing scripts of providers.yaml entries routed by this router (defined beside the catalogue). */
export const GRAPH_ROUTING_SCRIPTS = GRAPH_WEBHOOK_ROUTING_SCRIPTS;

export interface GraphWebhookRouterOptions {
  manager: SubscriptionManager;
  /** Whether a providers.yaml key routes through Graph (its resolved `webhook_routing_script`). */
  isGraphProvider(provider: string): boolean;
  /** Does a deployed sync have an `onWebhook` handler (Graph items that name a message or event go to it)? */
  hasHandler(environmentId: number, providerConfigKey: string, syncName: string): Promise<boolean>;
}

const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Microsoft Graph behind the inbound webhook pipeline:
 * - handshake: `?validationToken=…` is echoed as 200 text/plain at once (Graph allows 10 s);
 * - split: `value[]` → one stored notification per item. An item that names a change (message,
 *   event: `resourceData` with an etag) is keyed by its hash, so a redelivery is processed once.
 *   A drive item's notification only says "something changed" and two different changes look the
 *   same, so each delivery is its own notification: processing one twice costs at most one more
 *   delta run, which finds nothing new;
 * - verify: the subscription must be one of this integration's, and the item's clientState must
 *   match its stored hash (constant time); anything else is refused and logged, never retried;
 * - route: lifecycle events renew (`reauthorizationRequired`), recreate and catch up
 *   (`subscriptionRemoved`) or catch up (`missed`) with an incremental delta run; a drive change
 *   queues that delta run (joined with one already queued: debounced); a named change runs the
 *   sync's `onWebhook` with the item when it has one, else the delta run.
 *
 * Graph notifications are never forwarded raw to the customer: each carries the subscription's
 * clientState, which would let whoever reads the customer's endpoint forge notifications. The
 * customer hears of the change through the signed sync webhook of the run it causes.
 */
export function createGraphWebhookRouter(options: GraphWebhookRouterOptions): ProviderWebhookRouter {
  const { manager } = options;

  async function subscriptionOf(
    n: StoredNotification,
  ): Promise<{ row: GraphSubscriptionRow; item: GraphNotificationItem } | { refused: string }> {
    const parsed = GraphNotificationBody.shape.value.element.safeParse(n.payload);
    if (!parsed.success) return { refused: 'not a Microsoft Graph notification item' };
    const item = parsed.data;
    const row = await manager.bySubscriptionId(item.subscriptionId);
    if (
      row === undefined ||
      row.environment_id !== n.environmentId ||
      row.provider_config_key !== n.integration.uniqueKey
    )
      return {
        refused: subscriptionErrors.create('WEFT_SUBSCRIPTIONS_UNKNOWN_SUBSCRIPTION', {
          subscriptionId: item.subscriptionId,
          providerConfigKey: n.integration.uniqueKey,
        }).message,
      };
    return { row, item };
  }

  return {
    name: 'microsoft-graph',
    ackStatus: 202,
    handles: (provider) => options.isGraphProvider(provider),

    handshake(request: InboundWebhookRequest): HandshakeAnswer | undefined {
      const token = graphValidationToken(request.query);
      return token === undefined ? undefined : { status: 200, contentType: 'text/plain; charset=utf-8', body: token };
    },

    split(request: InboundWebhookRequest): InboundNotification[] {
      const parsed = GraphNotificationBody.safeParse(request.body);
      if (!parsed.success)
        throw subscriptionErrors.create('WEFT_SUBSCRIPTIONS_INVALID_NOTIFICATION', {
          reason: parsed.error.issues[0]?.message ?? 'invalid body',
        });
      return parsed.data.value.map((item) => ({
        dedupeKey:
          item.lifecycleEvent === undefined && item.resourceData === undefined
            ? `graph:${randomUUID()}`
            : `graph:${hashOf(item)}`,
        payload: item,
      }));
    },

    async verify(n: StoredNotification): Promise<Verification> {
      const found = await subscriptionOf(n);
      if ('refused' in found) return { ok: false, reason: found.refused };
      if (!clientStateMatches(found.item.clientState, found.row.client_state_hash))
        return {
          ok: false,
          reason: subscriptionErrors.create('WEFT_SUBSCRIPTIONS_CLIENT_STATE_MISMATCH', {
            subscriptionId: found.item.subscriptionId,
          }).message,
        };
      return { ok: true };
    },

    async route(n: StoredNotification): Promise<WebhookRoute> {
      const found = await subscriptionOf(n);
      if ('refused' in found) return { connections: [], action: 'none', forward: false };
      const { row, item } = found;
      const connections = [{ id: connectionRowId(row.connection_id), connectionId: row.external_connection_id }];
      const syncs = [row.sync_name];
      switch (item.lifecycleEvent) {
        case 'reauthorizationRequired':
          await manager.reauthorize(row);
          return { connections, action: 'none', forward: false };
        case 'subscriptionRemoved':
          await manager.recreate(row);
          // Changes between the removal and the new subscription are only in delta: catch up.
          return { connections, action: 'sync', syncs, forward: false };
        case 'missed':
          return { connections, action: 'sync', syncs, forward: false };
        default:
          break;
      }
      if (
        graphResourceSpec(row.resource)?.namesItem === true &&
        item.resourceData !== undefined &&
        (await options.hasHandler(row.environment_id, row.provider_config_key, row.sync_name))
      )
        return { connections, action: 'handler', eventType: row.resource, syncs, forward: false };
      return { connections, action: 'sync', syncs, forward: false };
    },
  };
}
