import type { ConnectionHooks, ProviderCatalog } from '@weft/auth';
import { GRAPH_ROUTING_SCRIPTS } from './graph-webhook-router.js';
import type { DeployedScriptInfo, SubscriptionManager } from './subscription-manager.js';

/**
 * Connection hooks with the Graph subscriptions' part added after the existing ones (event
 * scripts): a new connection gets the subscriptions its integration's deployed syncs declare; a
 * connection about to be deleted loses them, at Graph and here. Failures are reported, never
 * refusing the connection: the renewal job retries a creation that failed.
 */
export function withSubscriptionHooks(
  inner: ConnectionHooks,
  manager: SubscriptionManager,
  onError: (error: unknown, context: Record<string, unknown>) => void,
): ConnectionHooks {
  return {
    validate: (connection) => inner.validate(connection),
    async created(connection) {
      await inner.created(connection);
      await manager
        .ensureConnection(connection)
        .catch((error: unknown) => onError(error, { connection: connection.connectionId }));
    },
    async deleting(connection) {
      await inner.deleting(connection);
      await manager
        .deleteConnection(connection.id)
        .catch((error: unknown) => onError(error, { connection: connection.connectionId }));
    },
  };
}

/** After a deploy: every connection of each deployed integration gets its syncs' subscriptions. */
export async function ensureDeployedSubscriptions(
  manager: SubscriptionManager,
  syncs: ReadonlyArray<{ environmentId: number; providerConfigKey: string }>,
): Promise<void> {
  const seen = new Set<string>();
  for (const sync of syncs) {
    const key = `${sync.environmentId}:${sync.providerConfigKey}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await manager.ensureIntegration(sync.environmentId, sync.providerConfigKey);
  }
}

/** Whether a providers.yaml key's inbound webhooks are Graph change notifications (its routing script). */
export function graphProviderCheck(providers: Pick<ProviderCatalog, 'get'>): (provider: string) => boolean {
  const names: readonly string[] = GRAPH_ROUTING_SCRIPTS;
  return (provider) => {
    const script = providers.get(provider)?.webhook_routing_script;
    return script !== undefined && names.includes(script);
  };
}

/** Whether a deployed sync has an `onWebhook` handler (from the runner's `scriptsConfig`). */
export function webhookHandlerCheck(
  scripts: (environmentId: number, providerConfigKey: string) => Promise<DeployedScriptInfo[]>,
): (environmentId: number, providerConfigKey: string, syncName: string) => Promise<boolean> {
  return async (environmentId, providerConfigKey, syncName) =>
    (await scripts(environmentId, providerConfigKey)).some(
      (s) =>
        s.kind === 'sync' &&
        s.name === syncName &&
        s.definition.kind === 'sync' &&
        s.definition.webhookHandler === true,
    );
}
