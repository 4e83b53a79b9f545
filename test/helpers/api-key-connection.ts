import { type ConnectionRowId, connectionRowId } from '@weft/db';
import { expect } from 'vitest';
import type { ApiHarness } from './api-harness.js';

/** A connection as the runner's run requests name it: the row id, and the external names. */
export interface RunnerConnection {
  id: ConnectionRowId;
  providerConfigKey: string;
  connectionId: string;
}

/**
 * Integration `key` of the API-key provider `github-pat` whose proxy goes to `baseUrl`, and one
 * connection `connectionId` of it holding `apiKey`, both through the API.
 */
export async function connectApiKeyIntegration(
  h: ApiHarness,
  key: string,
  connectionId: string,
  baseUrl: string,
  apiKey = 'k',
): Promise<RunnerConnection> {
  const created = await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: key, provider: 'github-pat', overrides: { proxy: { base_url: baseUrl } } },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const imported = await h.api('/connection', {
    method: 'POST',
    json: { connection_id: connectionId, provider_config_key: key, credentials: { type: 'API_KEY', apiKey } },
  });
  expect(imported.status, await imported.clone().text()).toBe(201);
  return { id: connectionRowId(((await imported.json()) as { id: number }).id), providerConfigKey: key, connectionId };
}
