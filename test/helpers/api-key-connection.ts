import { expect } from 'vitest';
import type { ApiHarness } from './api-harness.js';

/** A connection as the runner's run requests name it. */
export interface RunnerConnection {
  id: number;
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
  return { id: ((await imported.json()) as { id: number }).id, providerConfigKey: key, connectionId };
}
