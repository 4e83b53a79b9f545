import type { Pool } from '@weft/db';
import * as sql from './sql/provider-webhooks.js';
import type { HandshakeAnswer, InboundWebhookRequest, WebhookRouterRegistry } from './webhook-router.js';
import { wholeBody } from './webhook-rule-router.js';

/** What the HTTP layer answers after `receiveProviderWebhook`. */
export type ReceiveOutcome =
  | { kind: 'handshake'; answer: HandshakeAnswer }
  | {
      kind: 'stored';
      /** The status to acknowledge with (the router's `ackStatus`, else 200). */
      status: number;
      router: string;
      /** Ids of the rows this request added (a duplicate delivery adds none). */
      stored: string[];
      /** Notifications of the request that were already stored. */
      duplicates: number;
    };

/** Headers a router or a forwarded webhook may need; cookies and auth headers are never stored. */
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-forwarded-for', 'host']);

function storedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!DROPPED_HEADERS.has(name)) kept[name] = value;
  return kept;
}

/**
 * The synchronous half of an inbound webhook: answer a handshake at once, or split the request
 * into notifications and commit them to the inbox (duplicates skipped) — the HTTP layer
 * acknowledges only after this returns, so an acknowledged notification is never lost. The
 * caller then asks the workers to process `stored` (a lost nudge is picked up by the sweep).
 */
export async function receiveProviderWebhook(
  pool: Pool,
  routers: WebhookRouterRegistry,
  request: InboundWebhookRequest,
): Promise<ReceiveOutcome> {
  const router = routers.routerFor(request.integration.provider);
  const answer = router?.handshake?.(request);
  if (answer !== undefined) return { kind: 'handshake', answer };
  const notifications = router?.split ? router.split(request) : wholeBody(request);
  const status = router?.ackStatus ?? 200;
  const name = router?.name ?? 'none';
  if (notifications.length === 0) return { kind: 'stored', status, router: name, stored: [], duplicates: 0 };
  // One batch can repeat a notification: keep the first, the database dedupes across requests.
  const unique = [...new Map(notifications.map((n) => [n.dedupeKey, n])).values()];
  const { rows } = await pool.query<{ id: string }>(sql.STORE_NOTIFICATIONS, [
    request.environmentId,
    request.integration.id,
    request.integration.uniqueKey,
    request.integration.provider,
    JSON.stringify(storedHeaders(request.headers)),
    unique.map((n) => n.dedupeKey),
    unique.map((n) => JSON.stringify(n.payload ?? null)),
  ]);
  return {
    kind: 'stored',
    status,
    router: name,
    stored: rows.map((r) => r.id),
    duplicates: notifications.length - rows.length,
  };
}
