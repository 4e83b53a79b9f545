import { createRecordStore } from '@weft/records';
import { createRunner, type Runner, type RunnerOptions } from '@weft/runner';
import { createCheckpointStore } from '@weft/scheduler';
import { expect } from 'vitest';
import type { ApiHarness } from './api-harness.js';

/** A connection as the runner's run requests name it. */
export interface RunnerConnection {
  id: number;
  providerConfigKey: string;
  connectionId: string;
}

/**
 * A runner of the test's own over the harness's database, auth and proxy (with its own record and
 * checkpoint stores), for tests that call it directly or give it other limits; `options` override.
 */
export function createHarnessRunner(h: ApiHarness, options: Partial<RunnerOptions> = {}): Runner {
  return createRunner({
    pool: h.db.pool,
    checkpoints: createCheckpointStore(h.db.pool),
    proxy: h.proxy,
    records: createRecordStore({ pool: h.db.pool }),
    auth: h.auth,
    ...options,
  });
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
