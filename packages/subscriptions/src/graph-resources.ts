/**
 * The Microsoft Graph resources Weft subscribes to for syncs, with Graph's documented limits
 * (learn.microsoft.com/graph/api/resources/subscription, "Subscription lifetime"): a subscription
 * asking for more than its resource's maximum lifetime is refused, so each kind carries its own.
 */

export type GraphResourceKind = 'driveItem' | 'message' | 'event';

export interface GraphResourceSpec {
  kind: GraphResourceKind;
  /** Longest expirationDateTime Graph accepts, in minutes from now (basic notifications). */
  maxLifetimeMinutes: number;
  /** The changeType Weft subscribes with (driveItem supports only `updated`). */
  changeType: string;
  /** True when a notification names the changed item (resourceData); false when it only says "something changed". */
  namesItem: boolean;
}

const SPECS: Record<GraphResourceKind, Omit<GraphResourceSpec, 'kind'>> = {
  driveItem: { maxLifetimeMinutes: 42_300, changeType: 'updated', namesItem: false },
  message: { maxLifetimeMinutes: 10_080, changeType: 'created,updated,deleted', namesItem: true },
  event: { maxLifetimeMinutes: 10_080, changeType: 'created,updated,deleted', namesItem: true },
};

/**
 * A sync's `webhookSubscriptions` entry as a Graph resource (`me/drive/root`, `drives/{id}/root`,
 * `me/messages`, `me/mailFolders('Inbox')/messages`, `me/events`), or undefined when the entry is
 * not one (it is then a webhook type for another provider's routing).
 */
export function graphResourceSpec(resource: string): GraphResourceSpec | undefined {
  const path = resource.replace(/^\//, '').toLowerCase();
  let kind: GraphResourceKind | undefined;
  if (/^(me|users\/[^/]+)\/drive\/root$/.test(path) || /^drives\/[^/]+\/root$/.test(path)) kind = 'driveItem';
  else if (/^(me|users\/[^/]+)(\/mailfolders(\('[^']+'\)|\/[^/]+))?\/messages$/.test(path)) kind = 'message';
  else if (/^(me|users\/[^/]+)(\/calendars?(\/[^/]+)?)?\/events$/.test(path)) kind = 'event';
  return kind === undefined ? undefined : { kind, ...SPECS[kind] };
}

/**
 * How long to ask for: the maximum minus a margin for clock skew between Weft and Graph (a request
 * a minute over the maximum is refused outright).
 */
export function requestedLifetimeMs(spec: GraphResourceSpec): number {
  const max = spec.maxLifetimeMinutes * 60_000;
  return max - Math.min(60 * 60_000, max / 10);
}

/** Renew once half the lifetime has passed: a failed renewal then has days (or hours) to be retried. */
export function renewAfterMs(lifetimeMs: number): number {
  return lifetimeMs / 2;
}
