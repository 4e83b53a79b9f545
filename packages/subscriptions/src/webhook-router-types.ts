/**
 * TEMPORARY structural mirror of the inbound pipeline's router seam (@weft/scheduler's
 * webhook-router.ts, being written on the h19a branch); replaced by imports once merged.
 */
export interface InboundWebhookRequest {
  environmentId: number;
  integration: { id: number; uniqueKey: string; provider: string };
  query: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string>>;
  rawBody: Buffer;
  body: unknown;
}
export interface HandshakeAnswer {
  status: number;
  contentType: string;
  body: string;
}
export interface InboundNotification {
  dedupeKey: string;
  payload: unknown;
}
export interface StoredNotification {
  id: string;
  environmentId: number;
  integration: { id: number; uniqueKey: string; provider: string };
  dedupeKey: string;
  payload: unknown;
  headers: Readonly<Record<string, string>>;
  receivedAt: string;
  attempt: number;
}
export type Verification = { ok: true } | { ok: false; reason: string };
export interface WebhookRoute {
  connections: Array<{ id: number; connectionId: string }>;
  then: 'handler' | 'sync' | 'none';
  eventType?: string;
  syncs?: string[];
  forward?: boolean;
}
export interface ProviderWebhookRouter {
  readonly name: string;
  handles(provider: string): boolean;
  handshake?(request: InboundWebhookRequest): HandshakeAnswer | undefined;
  split?(request: InboundWebhookRequest): InboundNotification[];
  readonly ackStatus?: number;
  verify?(notification: StoredNotification, context: unknown): Promise<Verification>;
  route(notification: StoredNotification, context: unknown): Promise<WebhookRoute>;
}
