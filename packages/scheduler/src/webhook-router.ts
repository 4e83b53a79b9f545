import type { ConnectionRowId, Pool } from '@weft/db';

/**
 * The seam between Weft's generic inbound-webhook pipeline and what one provider family needs
 * (Microsoft Graph, or a declarative rule from providers.yaml). The pipeline owns HTTP, limits,
 * storage before acknowledgement, dedupe, claiming, retries, handler runs and forwarding; a
 * router only answers the provider-specific questions below. Routers are looked up per
 * integration by the provider name of its providers.yaml entry.
 *
 * Order of calls for one request:
 *  1. `handshake` (synchronous, before anything is stored; e.g. Graph's `validationToken` echo)
 *  2. `split` (synchronous; one request → notifications, each with its dedupe key) → each stored
 *     → the request is acknowledged with `ackStatus`
 *  3. later, by a worker, per stored notification: `verify` → `route` → handler runs / sync
 *     trigger / forward, per the returned route.
 */
export interface ProviderWebhookRouter {
  /** For logs and the stored outcome, e.g. `microsoft-graph` or `rule:hubspot`. */
  readonly name: string;
  /** Whether this router serves an integration of `provider` (its providers.yaml key). */
  handles(provider: string): boolean;
  /**
   * Answer a request at once, without storing it (a subscription handshake). Must be fast and
   * must not touch the database: providers time out in seconds. Return undefined to go on.
   */
  handshake?(request: InboundWebhookRequest): HandshakeAnswer | undefined;
  /**
   * One request → its notifications. Throw `WEFT_WEBHOOK_INVALID_PAYLOAD` for a body that is not
   * what the provider sends. @default the whole JSON body as one notification, keyed by its hash
   */
  split?(request: InboundWebhookRequest): InboundNotification[];
  /** The status a stored request is acknowledged with (Graph expects 202). @default 200 */
  readonly ackStatus?: number;
  /**
   * Whether a stored notification is genuine (a clientState compared in constant time, a
   * signature over the raw body). A refused one is recorded as `refused` with the reason and
   * logged; nothing runs and nothing is forwarded. @default every notification is accepted
   */
  verify?(notification: StoredNotification, context: WebhookRoutingContext): Promise<Verification>;
  /** Which connection(s) a notification is for and what to do about it. */
  route(notification: StoredNotification, context: WebhookRoutingContext): Promise<WebhookRoute>;
}

/** What the HTTP layer hands to a router: the raw request, nothing parsed that a router might need raw. */
export interface InboundWebhookRequest {
  environmentId: number;
  integration: WebhookIntegration;
  /** Query string parameters (first value of each). */
  query: Readonly<Record<string, string>>;
  /** Header names lower-case; repeated headers joined with ', '. */
  headers: Readonly<Record<string, string>>;
  /** The body exactly as received (signatures are computed over these bytes). */
  rawBody: Buffer;
  /** `rawBody` parsed as JSON when it is JSON (or form-encoded `payload=` JSON), else undefined. */
  body: unknown;
}

export interface WebhookIntegration {
  id: number;
  /** The integration's unique key (Nango's providerConfigKey). */
  uniqueKey: string;
  /** The providers.yaml key it uses. */
  provider: string;
}

export interface HandshakeAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface InboundNotification {
  /**
   * The provider's delivery id, or a stable hash of the notification: a second delivery with the
   * same key (per integration) is acknowledged and not processed again.
   */
  dedupeKey: string;
  /** The notification itself (what a script's onWebhook receives), JSON. */
  payload: unknown;
}

/** A notification as stored in the inbox and claimed by a worker. */
export interface StoredNotification {
  id: string;
  environmentId: number;
  integration: WebhookIntegration;
  dedupeKey: string;
  payload: unknown;
  headers: Readonly<Record<string, string>>;
  receivedAt: string;
  /** 1 on the first processing attempt. */
  attempt: number;
}

export type Verification = { ok: true } | { ok: false; reason: string };

/** A connection a notification belongs to. */
export interface WebhookConnection {
  /** connections.id (internal; never sent to the customer). */
  id: ConnectionRowId;
  /** The external connection id (Nango's connectionId). */
  connectionId: string;
}

export interface WebhookRoute {
  /** The connections it is for; none = nobody to run for (it is still forwarded, without connectionId). */
  connections: WebhookConnection[];
  /**
   * `handler`: run the onWebhook handler of every deployed sync whose webhookSubscriptions match
   * `eventType`, once per connection, in the sandbox as a run with trigger `webhook`.
   * `sync`: queue an incremental run of the connections' syncs (`syncs`, or every sync), joined
   * with a run already queued so a burst of notifications makes one run (debounced).
   * `none`: nothing runs (a lifecycle notification the router acted on itself).
   */
  action: 'handler' | 'sync' | 'none';
  /** The notification's type, matched against each sync's `webhookSubscriptions` (`*` matches any). */
  eventType?: string;
  /** Limit `handler`/`sync` to these syncs. */
  syncs?: string[];
  /** Forward the raw notification to the customer's webhook URLs (Nango's `forward_webhooks`). @default true */
  forward?: boolean;
}

/** What a router may use while verifying and routing: read-only lookups, scoped to the integration. */
export interface WebhookRoutingContext {
  pool: Pool;
  /** Connections of the notification's integration whose `connection_config` (or `metadata`) key equals `value`. */
  connectionsWhere(field: 'connection_config' | 'metadata', key: string, value: string): Promise<WebhookConnection[]>;
  /** Every connection of the integration (for providers that send no identifier: one app, one account). */
  connectionsOfIntegration(): Promise<WebhookConnection[]>;
  /** Connections by external id. */
  connectionsById(connectionIds: string[]): Promise<WebhookConnection[]>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/**
 * The routers of this process, in registration order; the first that handles an integration's
 * provider wins, so specific routers (Graph) are registered before the declarative one.
 */
export class WebhookRouterRegistry {
  readonly #routers: ProviderWebhookRouter[] = [];

  register(router: ProviderWebhookRouter): this {
    this.#routers.push(router);
    return this;
  }

  /** The router for an integration's provider, or undefined (its webhooks are then stored and forwarded only). */
  routerFor(provider: string): ProviderWebhookRouter | undefined {
    return this.#routers.find((router) => router.handles(provider));
  }
}
