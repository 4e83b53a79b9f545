import { scriptDefinitionSchema } from '@weft/runner';
import { z } from 'zod';

/**
 * Deploys, scripts config, actions and dryruns. `GET /scripts/config` without
 * `provider_config_key` answers Nango's `StandardNangoConfig[]` (or `{ data: OpenAIFunction[] }`
 * with `format=openai`); with it, Weft's per-integration list.
 */

export const compiledScript = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][\w-]*$/, { error: 'script names use letters, digits, - and _' }),
  kind: z.enum(['sync', 'action', 'on-event']),
  file: z.string().min(1),
  bundle: z.string().min(1),
  source_map: z.string(),
  sources: z.record(z.string(), z.string()).default({}),
  // Never trusted: checked with the compiler's own schema (models, frequency minimum, …).
  definition: scriptDefinitionSchema,
});

export const deployBody = z.object({
  provider_config_key: z.string().min(1),
  scripts: z.array(compiledScript).min(1, { error: 'at least one script' }),
  force: z.boolean().default(false),
  dry_run: z.boolean().default(false),
});

export const deployResponse = z.object({
  version: z.number().int().nullable(),
  applied: z.boolean(),
  diff: z.looseObject({ destructive: z.boolean() }),
});

export const rollbackBody = z.object({ provider_config_key: z.string().min(1) });
export const rollbackResponse = z.object({ version: z.number().int() });

export const deploymentsQuery = z.object({ provider_config_key: z.string().min(1) });
export const deploymentsResponse = z.object({
  deployments: z.array(
    z.object({ version: z.number().int(), active: z.boolean(), summary: z.unknown(), created_at: z.string() }),
  ),
});

export const scriptsConfigQuery = z.object({
  provider_config_key: z.string().min(1).optional(),
  format: z.enum(['nango', 'openai']).default('nango'),
});

/** Weft's per-integration list (`provider_config_key` given). */
export const scriptsConfigResponse = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['sync', 'action', 'on-event']),
      version: z.number().int(),
      file: z.string(),
      definition: z.record(z.string(), z.unknown()),
    }),
  ),
});

export type ScriptsConfigJson = z.output<typeof scriptsConfigResponse>;

const endpoint = z.object({ method: z.string(), path: z.string(), group: z.string().optional() });

/** Nango's `NangoSyncConfig`. */
export const nangoScriptConfig = z.object({
  name: z.string(),
  type: z.enum(['sync', 'action']),
  description: z.string(),
  version: z.string().nullable(),
  runs: z.string().nullable(),
  auto_start: z.boolean(),
  sync_type: z.enum(['incremental', 'full']).optional(),
  track_deletes: z.boolean(),
  scopes: z.array(z.string()),
  returns: z.array(z.string()),
  input: z.string().optional(),
  endpoints: z.array(endpoint),
  json_schema: z.record(z.string(), z.unknown()).nullable(),
  sdk_version: z.string().nullable(),
  features: z.array(z.string()),
  enabled: z.boolean(),
  /** Notification types the sync's webhook handler runs for (Nango's NangoSyncConfig.webhookSubscriptions). */
  webhookSubscriptions: z.array(z.string()).optional(),
});

/** Nango's `StandardNangoConfig`, one per integration. */
export const standardNangoConfig = z
  .object({
    providerConfigKey: z.string(),
    provider: z.string(),
    syncs: z.array(nangoScriptConfig),
    actions: z.array(nangoScriptConfig),
    'on-events': z.array(nangoScriptConfig),
  })
  .meta({ id: 'StandardNangoConfig' });

export const nangoScriptsConfigResponse = z.array(standardNangoConfig);

/** Nango's `OpenAIFunction`: one per action, its input's properties as parameters. */
export const openAiScriptsConfigResponse = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      parameters: z.object({
        type: z.string(),
        properties: z.record(z.string(), z.object({ type: z.string(), description: z.string() })),
        required: z.array(z.string()),
      }),
    }),
  ),
});

export const actionHeaders = z.object({
  'connection-id': z.string({ error: 'header Connection-Id is required' }).min(1),
  'provider-config-key': z.string({ error: 'header Provider-Config-Key is required' }).min(1),
  'x-async': z.enum(['true', 'false']).optional(),
});

export const actionBody = z.object({
  action_name: z.string().min(1, { error: 'action_name is required' }),
  input: z.unknown().optional(),
});

/** `X-Async: true`: where to fetch the outcome (Nango's `AsyncActionResponse`). */
export const asyncActionResponse = z.object({ id: z.string(), statusUrl: z.string() });

/** A finished action's output, whatever JSON the script returned. */
export const actionOutput = z.unknown();

export const actionIdParams = z.object({ id: z.uuid({ error: 'not an action id' }) });

export const dryrunBody = z.object({
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1),
  script: compiledScript,
  input: z.unknown().optional(),
  save: z.boolean().default(false),
  last_sync_date: z.iso.datetime({ offset: true }).nullable().default(null),
  // Nango's dryrun flags: --variant, --metadata and --checkpoint stubs, --validation.
  variant: z.string().min(1).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  checkpoint: z.record(z.string(), z.unknown()).optional(),
  /** true = Nango's `--validation`: an invalid record fails the run; otherwise it is reported and kept. */
  validation: z.boolean().default(false),
  /** Run the sync's webhook handler (onWebhook) with this provider notification instead of its exec (`weft dryrun --webhook`). */
  webhook_payload: z.unknown().optional(),
});

export const dryrunResponse = z.union([
  z.object({ output: z.unknown(), logs: z.array(z.unknown()) }),
  z.object({
    status: z.string(),
    counts: z.record(z.string(), z.unknown()),
    error: z.unknown().nullable(),
    logs: z.array(z.unknown()),
    records: z.record(z.string(), z.array(z.unknown())),
    invalid_records: z.unknown().nullable(),
    duration_ms: z.number(),
  }),
]);
