import type { Pool } from '@weft/db';
import { expect } from 'vitest';
import type { Body } from '../helpers/api-harness.js';

/**
 * `hooky`, the generic provider the webhook tests connect to: its notifications name the account
 * they are about (routed by the declarative rule account.id ↔ connection_config.accountId), are
 * typed by `type` and deduped by their delivery header (a notification without that header is
 * deduped by a hash of its JSON). A providers.yaml entry, to parse or write to a file as it is or
 * followed by more entries.
 */
export const HOOKY_PROVIDERS_YAML = `
hooky:
  display_name: Hooky
  auth_mode: API_KEY
  proxy:
    base_url: https://hooky.example
    headers:
      authorization: Bearer \${apiKey}
  webhook_routing:
    connection:
      path: account.id
      match: connection_config.accountId
    event_type:
      path: type
    dedupe:
      from: header
      path: x-hooky-delivery
`;

/** An authenticated call to a Weft API: `ApiHarness.api`, or a test's own against a spawned Weft. */
export type WeftApiCall = (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;

/** Create integration `key` of `provider` (hooky unless told) whose proxy goes to `baseUrl`. */
export async function createWebhookIntegration(
  api: WeftApiCall,
  key: string,
  options: { baseUrl: string; provider?: string; forwardWebhooks?: boolean },
): Promise<void> {
  const created = await api('/integrations', {
    method: 'POST',
    json: {
      unique_key: key,
      provider: options.provider ?? 'hooky',
      overrides: { proxy: { base_url: options.baseUrl } },
      ...(options.forwardWebhooks !== undefined ? { forward_webhooks: options.forwardWebhooks } : {}),
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
}

/** Create API-key connection `connectionId` of `integration` for the provider account `accountId`. */
export async function createWebhookConnection(
  api: WeftApiCall,
  integration: string,
  connectionId: string,
  accountId: string,
): Promise<void> {
  const made = await api('/connection', {
    method: 'POST',
    json: {
      connection_id: connectionId,
      provider_config_key: integration,
      credentials: { type: 'API_KEY', apiKey: 'k' },
      connection_config: { accountId },
    },
  });
  expect(made.status, await made.clone().text()).toBe(201);
}

/**
 * Only webhooks run from here on: every schedule's next run is put off by a day and a run already
 * queued is cancelled, so a test sees the runs its notifications start and no others.
 */
export async function holdScheduledRuns(pool: Pool): Promise<void> {
  await pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
  await pool.query(`UPDATE sync_runs SET status = 'cancelled' WHERE status = 'queued'`);
}

/** The `Event` records of one connection, as GET /records answers them. */
export async function eventRecords(api: WeftApiCall, integration: string, connectionId: string): Promise<Body[]> {
  const response = await api('/records?model=Event', {
    headers: { 'connection-id': connectionId, 'provider-config-key': integration },
  });
  return ((await response.json()) as Body).records;
}
