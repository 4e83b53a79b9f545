import type { AuthDeps } from './auth-deps.js';
import { announceCreated } from './connection-lifecycle.js';
import { type ConnectionRecord, upsertConnection, writeMetadata } from './connections.js';
import type { Credentials } from './credentials.js';
import { effectiveProvider, getIntegration } from './integrations.js';
import { secretConfigKeysOf } from './secondary-tokens.js';

/**
 * Store credentials obtained elsewhere (Nango's `POST /connection` import, migrations from
 * another platform). Not verified against the provider: the caller vouches for them.
 */
export async function importConnection(
  deps: AuthDeps,
  environmentId: number,
  uniqueKey: string,
  input: {
    connectionId: string;
    credentials: Credentials;
    connectionConfig?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  },
): Promise<ConnectionRecord> {
  const { pool, box, providers } = deps;
  const integration = await getIntegration(pool, box, providers, environmentId, uniqueKey);
  const connection = await upsertConnection(pool, box, {
    environmentId,
    integrationId: integration.id,
    providerConfigKey: uniqueKey,
    connectionId: input.connectionId,
    connectionConfig: input.connectionConfig ?? {},
    credentials: input.credentials,
    secretConfigKeys: secretConfigKeysOf(effectiveProvider(providers, integration)),
  });
  if (input.metadata) await writeMetadata(pool, environmentId, uniqueKey, [input.connectionId], input.metadata, true);
  await announceCreated(deps, connection);
  return connection;
}
