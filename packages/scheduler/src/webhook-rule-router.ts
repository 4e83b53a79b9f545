import { createHash } from 'node:crypto';
import { type ProviderCatalog, type WebhookRoutingRule, webhookRoutingRuleOf } from '@weft/auth';
import { schedulerErrors } from './errors.js';
import type {
  InboundNotification,
  InboundWebhookRequest,
  ProviderWebhookRouter,
  StoredNotification,
  WebhookRoute,
  WebhookRoutingContext,
} from './webhook-router.js';

/** The value at a dotted path (`installation.id`; `.` = the value itself), or undefined. */
export function valueAtPath(value: unknown, path: string): unknown {
  if (path === '.' || path === '') return value;
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A notification's dedupe key when the provider names no delivery id: a hash of its JSON. */
export function payloadHash(payload: unknown): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(payload ?? null))
    .digest('hex')}`;
}

/** The request's body as one notification (JSON, else the raw text), keyed by its hash. */
export function wholeBody(request: InboundWebhookRequest): InboundNotification[] {
  const payload = request.body !== undefined ? request.body : request.rawBody.toString('utf8');
  return [{ dedupeKey: payloadHash(payload), payload }];
}

function read(
  source: { from: 'body' | 'header'; path: string },
  payload: unknown,
  headers: Readonly<Record<string, string>>,
): string | undefined {
  return source.from === 'header' ? headers[source.path.toLowerCase()] : asText(valueAtPath(payload, source.path));
}

/**
 * The router for providers with a declarative rule (providers.yaml `webhook_routing`, or the
 * built-in equivalent of their Nango routing script): split by `batch`, dedupe by the delivery
 * id, find connections by `connection`, run the handlers subscribed to `event_type`.
 */
export function ruleRouter(ruleOf: (provider: string) => WebhookRoutingRule | undefined): ProviderWebhookRouter {
  return {
    name: 'rule',
    handles: (provider) => ruleOf(provider) !== undefined,
    split(request) {
      const rule = ruleOf(request.integration.provider);
      if (rule?.batch === undefined) {
        const [whole] = wholeBody(request);
        const key = rule?.dedupe ? read(rule.dedupe, whole?.payload, request.headers) : undefined;
        return whole ? [{ payload: whole.payload, dedupeKey: key ? `id:${key}` : whole.dedupeKey }] : [];
      }
      const items = valueAtPath(request.body, rule.batch);
      if (!Array.isArray(items))
        throw schedulerErrors.create('WEFT_WEBHOOK_INVALID_PAYLOAD', {
          reason: `expected an array at ${rule.batch === '.' ? 'the top of the body' : rule.batch}`,
        });
      return items.map((payload: unknown, index: number) => {
        const key = rule.dedupe ? read(rule.dedupe, payload, request.headers) : undefined;
        // A header names the request, not each item of its batch: the item's index tells them apart.
        const id = key !== undefined && rule.dedupe?.from === 'header' ? `${key}#${index}` : key;
        return { payload, dedupeKey: id !== undefined ? `id:${id}` : payloadHash(payload) };
      });
    },
    async route(notification: StoredNotification, context: WebhookRoutingContext): Promise<WebhookRoute> {
      const rule = ruleOf(notification.integration.provider);
      const eventType = rule?.event_type
        ? read(rule.event_type, notification.payload, notification.headers)
        : undefined;
      const typed = eventType !== undefined ? { eventType } : {};
      if (rule?.connection === undefined)
        return { connections: await context.connectionsOfIntegration(), action: 'handler', ...typed };
      const value = read(rule.connection, notification.payload, notification.headers);
      if (value === undefined) {
        context.log('warn', `no ${rule.connection.path} in the notification: routed to no connection`);
        return { connections: [], action: 'none', ...typed };
      }
      const match = rule.connection.match;
      const connections =
        match === 'connection_id'
          ? await context.connectionsById([value])
          : await context.connectionsWhere(
              match.startsWith('metadata.') ? 'metadata' : 'connection_config',
              match.slice(match.indexOf('.') + 1),
              value,
            );
      return { connections, action: 'handler', ...typed };
    },
  };
}

/**
 * Providers without a router or rule: each request is stored (hash-deduped) and forwarded to the
 * customer as Nango does, without a connection; no handler runs (Weft cannot tell whose it is).
 */
export const forwardOnlyRouter: ProviderWebhookRouter = {
  name: 'forward-only',
  handles: () => true,
  split: wholeBody,
  async route() {
    return { connections: [], action: 'none' };
  },
};

/** The rule router over a providers catalogue: each entry's `webhook_routing` or its Nango script's equivalent. */
export function catalogueRuleRouter(providers: ProviderCatalog): ProviderWebhookRouter {
  return ruleRouter((provider) => {
    const entry = providers.get(provider);
    return entry ? webhookRoutingRuleOf(entry) : undefined;
  });
}
