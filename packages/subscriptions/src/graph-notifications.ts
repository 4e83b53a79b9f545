import * as z from 'zod';

/**
 * Graph's validation handshake: creating (or re-pointing) a subscription makes Graph POST the
 * notification URL with `?validationToken=…`; the endpoint must answer 200 `text/plain` with the
 * token, unchanged, within 10 seconds. Returns the token to echo, or undefined for any other request.
 */
export function graphValidationToken(query: Record<string, unknown>): string | undefined {
  const token = query.validationToken;
  return typeof token === 'string' && token !== '' && token.length <= 4096 ? token : undefined;
}

/** One item of a `changeNotificationCollection` (change or lifecycle notification), as Graph documents it. */
export const GraphNotificationItem = z
  .object({
    subscriptionId: z.string().min(1).max(200),
    clientState: z.string().max(512).nullable().optional(),
    changeType: z.string().optional(),
    resource: z.string().optional(),
    tenantId: z.string().optional(),
    subscriptionExpirationDateTime: z.string().optional(),
    lifecycleEvent: z.string().optional(),
    resourceData: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type GraphNotificationItem = z.infer<typeof GraphNotificationItem>;

export const GraphNotificationBody = z
  .object({ value: z.array(GraphNotificationItem).min(1).max(1000), validationTokens: z.array(z.string()).optional() })
  .passthrough();
