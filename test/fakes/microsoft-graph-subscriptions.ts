import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Microsoft Graph change notifications for the Graph fake, following the public docs
 * (learn.microsoft.com/graph/api/resources/subscription, /graph/change-notifications-delivery-webhooks,
 * /graph/change-notifications-lifecycle-events):
 *
 * - `POST /subscriptions` checks changeType, resource, notificationUrl and expirationDateTime against
 *   the resource's maximum lifetime, then validates the notification URL (and the lifecycle URL) with
 *   Graph's handshake: a POST with `?validationToken=…` that must answer 200 `text/plain` echoing the
 *   token within 10 seconds, or the subscription is refused with 400.
 * - `PATCH /subscriptions/{id}` renews (new expirationDateTime, same limits), `DELETE` removes,
 *   `GET /subscriptions` lists, `POST /subscriptions/{id}/reauthorize` clears a reauthorization challenge.
 * - Changes to the fake's data POST a `changeNotificationCollection` to the notification URL: drive
 *   items only say "something changed" under the subscribed root; messages and events name the item
 *   in `resource` and `resourceData`.
 * - Lifecycle notifications (`reauthorizationRequired`, `subscriptionRemoved`, `missed`) on demand,
 *   and notifications lost or delivered twice on demand.
 */

export type GraphJson = Record<string, unknown>;

/** What a subscribed resource is, which decides its maximum lifetime and allowed change types. */
export type SubscribedKind = 'driveItem' | 'message' | 'event';

/** Maximum subscription lifetimes in minutes (Graph's subscription resource type, basic notifications). */
export const MAX_LIFETIME_MINUTES: Record<SubscribedKind, number> = {
  driveItem: 42_300,
  message: 10_080,
  event: 10_080,
};

/** Graph gives a notification endpoint 10 seconds to answer the validation request. */
export const VALIDATION_TIMEOUT_MS = 10_000;

export interface FakeSubscription {
  id: string;
  resource: string;
  kind: SubscribedKind;
  changeType: string[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string | null;
  expiresAt: number;
  /** Notifications name immutable message ids (`Prefer: IdType="ImmutableId"` at creation). */
  immutableIds: boolean;
  /** A `reauthorizationRequired` challenge is open. */
  needsReauthorization: boolean;
  creatorId: string;
}

export interface Delivery {
  url: string;
  /** The JSON body sent. */
  body: { value: GraphJson[] };
  status: number | null;
  kind: 'change' | 'lifecycle';
  at: number;
}

export interface Handshake {
  url: string;
  token: string;
  status: number | null;
  contentType: string | null;
  echoed: boolean;
  ms: number;
}

/** One change in the fake's data, as the subscriptions see it. */
export type DataChange =
  | { kind: 'driveItem' }
  | { kind: 'message'; changeType: 'created' | 'updated' | 'deleted'; id: string; immutableId: string; etag: string }
  | { kind: 'event'; changeType: 'created' | 'updated' | 'deleted'; id: string; etag: string };

export class SubscriptionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface GraphSubscriptionsOptions {
  clock: () => number;
  /** Tenant id carried by every notification. */
  tenantId: string;
  /** The signed-in user's object id (resources are reported as `Users/{oid}/…`). */
  userId: string;
  applicationId: string;
}

function iso7(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** `/me/drive/root`, `drives/{id}/root`, `me/mailFolders('Inbox')/messages`, `me/events` … → its kind. */
export function kindOfResource(resource: string): SubscribedKind | undefined {
  const path = resource.replace(/^\//, '').toLowerCase();
  if (/^(me|users\/[^/]+)\/drive\/root$/.test(path) || /^drives\/[^/]+\/root$/.test(path)) return 'driveItem';
  if (/^(me|users\/[^/]+)(\/mailfolders(\('[^']+'\)|\/[^/]+))?\/messages$/.test(path)) return 'message';
  if (/^(me|users\/[^/]+)(\/calendars?(\/[^/]+)?)?\/events$/.test(path)) return 'event';
  return undefined;
}

export function createGraphSubscriptions(options: GraphSubscriptionsOptions) {
  const subscriptions = new Map<string, FakeSubscription>();
  const deliveries: Delivery[] = [];
  const handshakes: Handshake[] = [];
  const inFlight = new Set<Promise<void>>();
  let lose = 0;
  let duplicate = 0;
  let failHandshakes = 0;

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  async function validate(url: string): Promise<void> {
    const token = randomBytes(24).toString('base64url');
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    const started = Date.now();
    const entry: Handshake = { url, token, status: null, contentType: null, echoed: false, ms: 0 };
    handshakes.push(entry);
    try {
      if (failHandshakes > 0) {
        failHandshakes -= 1;
        throw new Error('handshake forced to fail');
      }
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(VALIDATION_TIMEOUT_MS),
      });
      entry.status = response.status;
      entry.contentType = response.headers.get('content-type');
      const text = await response.text();
      entry.echoed = text === token;
      entry.ms = Date.now() - started;
      if (response.status === 200 && /^text\/plain\b/i.test(entry.contentType ?? '') && entry.echoed) return;
    } catch {
      entry.ms = Date.now() - started;
    }
    throw new SubscriptionError(
      400,
      'InvalidRequest',
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    );
  }

  function expiration(value: unknown, kind: SubscribedKind): number {
    const at = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at))
      throw new SubscriptionError(400, 'InvalidRequest', 'expirationDateTime is required and must be a valid date.');
    const now = options.clock();
    if (at <= now) throw new SubscriptionError(400, 'InvalidRequest', 'Subscription expiration must be in the future.');
    const max = MAX_LIFETIME_MINUTES[kind];
    if (at > now + max * 60_000)
      throw new SubscriptionError(
        400,
        'InvalidRequest',
        `Subscription expiration can only be ${max} minutes in the future.`,
      );
    return at;
  }

  function json(sub: FakeSubscription): GraphJson {
    return {
      id: sub.id,
      resource: sub.resource,
      applicationId: options.applicationId,
      changeType: sub.changeType.join(','),
      clientState: sub.clientState,
      notificationUrl: sub.notificationUrl,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
      expirationDateTime: iso7(sub.expiresAt),
      creatorId: sub.creatorId,
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }

  function live(id: string): FakeSubscription {
    const sub = subscriptions.get(id);
    if (sub === undefined || sub.expiresAt <= options.clock())
      throw new SubscriptionError(404, 'ResourceNotFound', `The object was not found.`);
    return sub;
  }

  async function post(url: string, body: { value: GraphJson[] }, kind: Delivery['kind']): Promise<void> {
    const entry: Delivery = { url, body, status: null, kind, at: options.clock() };
    deliveries.push(entry);
    // Graph retries a failed delivery with backoff; three quick attempts are enough for a fake.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        entry.status = response.status;
        if (response.status < 500 && response.status !== 429) return;
      } catch {
        entry.status = null;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }

  function deliver(url: string, body: { value: GraphJson[] }, kind: Delivery['kind']): void {
    if (kind === 'change' && lose > 0) {
      lose -= 1;
      // Lost: recorded with status -1, never sent.
      deliveries.push({ url, body, status: -1, kind: 'change', at: options.clock() });
      return;
    }
    const twice = kind === 'change' && duplicate > 0;
    if (twice) duplicate -= 1;
    track(
      (async () => {
        await post(url, body, kind);
        if (twice) await post(url, body, kind);
      })(),
    );
  }

  function notification(sub: FakeSubscription, change: DataChange): GraphJson | undefined {
    const base = {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: iso7(sub.expiresAt),
      clientState: sub.clientState,
      tenantId: options.tenantId,
    };
    if (change.kind === 'driveItem') {
      // OneDrive only says that something under the subscribed root changed: the app reads delta.
      return { ...base, changeType: 'updated', resource: sub.resource };
    }
    if (!sub.changeType.includes(change.changeType)) return undefined;
    const id = change.kind === 'message' && sub.immutableIds ? change.immutableId : change.id;
    const type = change.kind === 'message' ? 'Messages' : 'Events';
    return {
      ...base,
      changeType: change.changeType,
      resource: `Users/${options.userId}/${type}/${id}`,
      resourceData: {
        '@odata.type': change.kind === 'message' ? '#Microsoft.Graph.Message' : '#Microsoft.Graph.Event',
        '@odata.id': `Users/${options.userId}/${type}/${id}`,
        '@odata.etag': change.etag,
        id,
      },
    };
  }

  return {
    /** Every subscription, including expired ones (tests read them). */
    all: () => [...subscriptions.values()],
    deliveries,
    handshakes,

    /** `POST /subscriptions`. */
    async create(body: unknown, prefer: string): Promise<GraphJson> {
      const input = (typeof body === 'object' && body !== null ? body : {}) as GraphJson;
      const resource = typeof input.resource === 'string' ? input.resource : '';
      const kind = kindOfResource(resource);
      if (kind === undefined)
        throw new SubscriptionError(
          400,
          'InvalidRequest',
          resource === '' ? 'resource is required.' : `Resource '${resource}' is not supported for subscriptions.`,
        );
      const changeType = (typeof input.changeType === 'string' ? input.changeType : '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      const allowed = kind === 'driveItem' ? ['updated'] : ['created', 'updated', 'deleted'];
      if (changeType.length === 0 || changeType.some((c) => !allowed.includes(c)))
        throw new SubscriptionError(
          400,
          'InvalidRequest',
          `ChangeType '${String(input.changeType ?? '')}' is not supported for resource '${resource}'. Supported: ${allowed.join(', ')}.`,
        );
      const notificationUrl = typeof input.notificationUrl === 'string' ? input.notificationUrl : '';
      const lifecycle = typeof input.lifecycleNotificationUrl === 'string' ? input.lifecycleNotificationUrl : null;
      for (const url of [notificationUrl, lifecycle]) {
        if (url === null) continue;
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new SubscriptionError(400, 'InvalidRequest', 'The notification URL must be an absolute URL.');
        }
        // Graph requires https; the fake also accepts loopback http so tests need no certificates.
        if (parsed.protocol !== 'https:' && !/^(127\.0\.0\.1|localhost|\[::1\])$/.test(parsed.hostname))
          throw new SubscriptionError(400, 'InvalidRequest', 'The notification URL must use https.');
      }
      if (typeof input.clientState === 'string' && input.clientState.length > 128)
        throw new SubscriptionError(400, 'InvalidRequest', 'clientState may be at most 128 characters.');
      const expiresAt = expiration(input.expirationDateTime, kind);
      await validate(notificationUrl);
      if (lifecycle !== null) await validate(lifecycle);
      const sub: FakeSubscription = {
        id: randomUUID(),
        resource,
        kind,
        changeType,
        notificationUrl,
        lifecycleNotificationUrl: lifecycle,
        clientState: typeof input.clientState === 'string' ? input.clientState : null,
        expiresAt,
        immutableIds: /IdType\s*=\s*"?ImmutableId"?/i.test(prefer),
        needsReauthorization: false,
        creatorId: options.userId,
      };
      subscriptions.set(sub.id, sub);
      return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...json(sub) };
    },

    /** `PATCH /subscriptions/{id}`: a renewal (or a new notificationUrl, validated again). */
    async update(id: string, body: unknown): Promise<GraphJson> {
      const sub = live(id);
      const input = (typeof body === 'object' && body !== null ? body : {}) as GraphJson;
      const expiresAt =
        input.expirationDateTime === undefined ? sub.expiresAt : expiration(input.expirationDateTime, sub.kind);
      if (typeof input.notificationUrl === 'string' && input.notificationUrl !== sub.notificationUrl) {
        await validate(input.notificationUrl);
        sub.notificationUrl = input.notificationUrl;
      }
      sub.expiresAt = expiresAt;
      sub.needsReauthorization = false;
      return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...json(sub) };
    },

    /** `POST /subscriptions/{id}/reauthorize`. */
    reauthorize(id: string): void {
      live(id).needsReauthorization = false;
    },

    remove(id: string): void {
      live(id);
      subscriptions.delete(id);
    },

    get: (id: string): GraphJson => json(live(id)),

    list: (): GraphJson[] =>
      [...subscriptions.values()].filter((s) => s.expiresAt > options.clock()).map((s) => json(s)),

    /** The fake's data changed: notify every live subscription on that kind of resource. */
    changed(change: DataChange): void {
      for (const sub of subscriptions.values()) {
        if (sub.kind !== change.kind || sub.expiresAt <= options.clock()) continue;
        const item = notification(sub, change);
        if (item !== undefined) deliver(sub.notificationUrl, { value: [item] }, 'change');
      }
    },

    /** Send a lifecycle notification; `subscriptionRemoved` also removes the subscription, as Graph does. */
    lifecycle(id: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): void {
      const sub = subscriptions.get(id);
      if (sub === undefined) throw new Error(`no subscription ${id}`);
      if (sub.lifecycleNotificationUrl === null) throw new Error(`subscription ${id} has no lifecycleNotificationUrl`);
      if (event === 'reauthorizationRequired') sub.needsReauthorization = true;
      if (event === 'subscriptionRemoved') subscriptions.delete(id);
      deliver(
        sub.lifecycleNotificationUrl,
        {
          value: [
            {
              subscriptionId: sub.id,
              subscriptionExpirationDateTime: iso7(sub.expiresAt),
              tenantId: options.tenantId,
              clientState: sub.clientState,
              lifecycleEvent: event,
            },
          ],
        },
        'lifecycle',
      );
    },

    /** POST a raw body to a URL as Graph would (tests forge notifications with it). */
    async send(url: string, body: { value: GraphJson[] }): Promise<void> {
      await post(url, body, 'change');
    },

    /** The next `count` change notifications are never delivered. */
    loseNext(count: number): void {
      lose = count;
    },
    /** The next `count` change notifications are delivered twice. */
    duplicateNext(count: number): void {
      duplicate = count;
    },
    /** The next `count` validation handshakes fail (as an endpoint that did not answer). */
    failHandshakes(count: number): void {
      failHandshakes = count;
    },
    /** Resolves once every notification sent so far has been answered. */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

export type GraphSubscriptions = ReturnType<typeof createGraphSubscriptions>;
