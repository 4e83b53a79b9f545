import ivm from 'isolated-vm';
import { parseFrequency } from './parse-frequency.js';
import { SANDBOX_CRYPTO } from './sandbox-crypto.js';
import { SANDBOX_GLOBALS } from './sandbox-globals.js';
import { bundleUsesSharedZod, evaluateSandboxZod } from './sandbox-zod.js';

export interface SyncScriptDefinition {
  kind: 'sync';
  legacy: boolean;
  description: string;
  version: string;
  frequency: string;
  frequencySeconds: number;
  autoStart: boolean;
  syncType: 'incremental' | 'full';
  trackDeletes: boolean;
  endpoints: Array<{ method: string; path: string; group?: string }>;
  scopes: string[];
  /** JSON Schema (draft 2020-12) per model name. */
  models: Record<string, object>;
  metadataSchema: object | null;
  checkpointSchema: object | null;
  /** This sync's record validation policy, overriding the deployment's (`warn` by default). */
  validation?: 'warn' | 'reject' | 'off';
  /** Webhook types `onWebhook` handles (nango.yaml `webhook-subscriptions`, createSync `webhookSubscriptions`). */
  webhookSubscriptions?: string[];
  /**
   * Whether the script has a webhook handler: createSync's `onWebhook`, or a legacy script's exported
   * `onWebhookPayloadReceived`. Inbound provider webhooks run it for each subscribed notification.
   */
  webhookHandler?: boolean;
}

export interface ActionScriptDefinition {
  kind: 'action';
  legacy: boolean;
  description: string;
  version: string;
  endpoint: { method: string; path: string; group?: string } | null;
  scopes: string[];
  inputSchema: object | null;
  outputSchema: object | null;
}

/** The connection lifecycle events a script can react to (Nango's `createOnEvent` / nango.yaml `on-events`). */
export const ON_EVENT_NAMES = ['post-connection-creation', 'pre-connection-deletion', 'validate-connection'] as const;
export type OnEventName = (typeof ON_EVENT_NAMES)[number];

/**
 * An event script: runs in the sandbox with the connection's scope when its event happens.
 * Stored like syncs and actions (`deployed_scripts.kind = 'on-event'`, files under `on-events/`).
 */
export interface OnEventScriptDefinition {
  kind: 'on-event';
  legacy: boolean;
  description: string;
  version: string;
  event: OnEventName;
}

export type ScriptKind = 'sync' | 'action' | 'on-event';

export type ScriptDefinition = SyncScriptDefinition | ActionScriptDefinition | OnEventScriptDefinition;

/** Definitions of legacy scripts come from nango.yaml (see legacy-yaml.ts). */
export type LegacyDefinitions = Map<string, ScriptDefinition>;

const DESCRIBE = String.raw`
(() => {
  const { module, z } = globalThis.__weft;
  const d = module.default;
  if (d === undefined || d === null) throw new Error('the script has no default export: export default createSync({...}) / createAction({...}), or a legacy async function');
  if (typeof d === 'function') return JSON.stringify({ legacy: true, webhookHandler: typeof module.onWebhookPayloadReceived === 'function' });
  if (typeof d !== 'object' || typeof d.exec !== 'function') throw new Error('the default export must be createSync({...}) or createAction({...}) with an exec function');
  const schema = (value, label) => {
    if (value === undefined || value === null) return null;
    // z.void() (Nango's own template: metadata: z.void(), output: z.void()) declares nothing to check.
    const type = value && value._zod && value._zod.def && value._zod.def.type;
    if (type === 'void' || type === 'undefined') return null;
    try { return z.toJSONSchema(value, { io: 'input' }); }
    catch (e) { throw new Error(label + ' cannot be expressed as JSON Schema: ' + e.message); }
  };
  // Nango's own createX() marks the object with type 'sync' | 'action' | 'onEvent'.
  const kind = d.__weftScriptKind || (d.type === 'onEvent' ? 'on-event' : d.type === 'sync' || d.type === 'action' ? d.type : d.models ? 'sync' : d.event ? 'on-event' : 'action');
  if (kind === 'on-event') {
    const events = ['post-connection-creation', 'pre-connection-deletion', 'validate-connection'];
    if (!events.includes(d.event)) throw new Error('createOnEvent needs event: ' + events.join(' | '));
    return JSON.stringify({ kind, legacy: false, description: d.description || '', version: d.version || '0.0.1', event: d.event });
  }
  if (kind === 'sync') {
    if (!d.models || typeof d.models !== 'object' || Object.keys(d.models).length === 0) throw new Error('a sync needs models: { Name: zodSchema }');
    const models = {};
    for (const [name, model] of Object.entries(d.models)) models[name] = schema(model, 'model ' + name);
    return JSON.stringify({
      kind, legacy: false, description: d.description || '', version: d.version || '0.0.1', frequency: d.frequency,
      autoStart: d.autoStart !== false, syncType: d.syncType === 'full' ? 'full' : 'incremental', trackDeletes: d.trackDeletes === true,
      endpoints: d.endpoints || [], scopes: d.scopes || [], models,
      metadataSchema: schema(d.metadata, 'metadata'), checkpointSchema: schema(d.checkpoint, 'checkpoint'),
      ...(Array.isArray(d.webhookSubscriptions) ? { webhookSubscriptions: d.webhookSubscriptions } : {}),
      ...(typeof d.onWebhook === 'function' ? { webhookHandler: true } : {}),
      ...(['warn', 'reject', 'off'].includes(d.validation) ? { validation: d.validation } : {}),
    });
  }
  return JSON.stringify({
    kind, legacy: false, description: d.description || '', version: d.version || '0.0.1', endpoint: d.endpoint || null, scopes: d.scopes || [],
    inputSchema: schema(d.input, 'input'), outputSchema: schema(d.output, 'output'),
  });
})()
`;

/** Load a bundle in a throwaway isolate and read its definition (models → JSON Schema via its own zod). */
export async function describeArtifact(
  bundle: string,
  expectedKind: ScriptKind,
  name: string,
  legacy: LegacyDefinitions,
): Promise<ScriptDefinition> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    const context = await isolate.createContext();
    await context.global.set('globalThis', context.global.derefInto());
    // The sandbox's globals, so a script using URL or Buffer at module level loads here too.
    await context.eval(SANDBOX_GLOBALS, { filename: 'weft-globals.js', timeout: 5_000 });
    await context.eval(SANDBOX_CRYPTO, { filename: 'weft-crypto.js', timeout: 5_000 });

    // WebAssembly memory is outside the 128 MB limit (see sandbox-guards.ts); a bundle's top level
    // must not get it at deploy time either.
    await context.eval('delete globalThis.WebAssembly');
    if (bundleUsesSharedZod(bundle)) await evaluateSandboxZod(isolate, context);
    await context.eval(bundle, { filename: 'weft-script.js', timeout: 5_000 });
    const raw = (await context.eval(DESCRIBE, { timeout: 5_000, copy: true })) as string;
    const described = JSON.parse(raw) as Partial<ScriptDefinition> & {
      legacy: boolean;
      frequency?: string;
      webhookHandler?: boolean;
    };
    if (described.legacy) {
      const definition = legacy.get(`${expectedKind}:${name}`);
      if (definition === undefined) throw new Error(`legacy script ${name} has no ${expectedKind} entry in nango.yaml`);
      // A legacy sync's webhook handler is its exported onWebhookPayloadReceived (Nango's name).
      return definition.kind === 'sync' && described.webhookHandler
        ? { ...definition, webhookHandler: true }
        : definition;
    }
    if (described.kind !== expectedKind)
      throw new Error(
        `a file in ${expectedKind}s/ must default-export create${expectedKind === 'sync' ? 'Sync' : expectedKind === 'action' ? 'Action' : 'OnEvent'}(...)`,
      );
    if (described.kind === 'sync') {
      const frequency = String(described.frequency ?? '');
      return { ...(described as SyncScriptDefinition), frequency, frequencySeconds: parseFrequency(frequency) };
    }
    if (described.kind === 'on-event') return described as OnEventScriptDefinition;
    return described as ActionScriptDefinition;
  } finally {
    isolate.dispose();
  }
}
