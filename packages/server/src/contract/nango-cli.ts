import { z } from 'zod';

/**
 * What the Nango CLI (`nango deploy`, pinned 0.71.x) sends to `POST /sync/deploy/confirmation`
 * and `POST /sync/deploy`, and what Weft answers.
 */

const fileBody = z.object({ js: z.string().min(1, { error: 'the CommonJS build is empty' }), ts: z.string() });
const endpoint = z.looseObject({ method: z.string(), path: z.string() });

// Fields Weft reads are checked; the rest of what the CLI sends (runs, models_json_schema, …) is
// also in the script itself, from which Weft reads the definition, so it is accepted as is.
const flowConfig = z.looseObject({
  type: z.enum(['sync', 'action']),
  syncName: z.string().regex(/^[a-zA-Z0-9][\w-]*$/, { error: 'script names use letters, digits, - and _' }),
  providerConfigKey: z.string().min(1),
  fileBody,
  version: z.string().optional(),
  endpoints: z.array(endpoint).optional(),
});

const onEventScripts = z.array(
  z.looseObject({
    providerConfigKey: z.string().min(1),
    scripts: z.array(
      z.looseObject({
        name: z.string().min(1),
        fileBody,
        event: z.enum(['post-connection-creation', 'pre-connection-deletion', 'validate-connection']),
      }),
    ),
  }),
);

/** The CLI's deployment: both routes take the same body. */
export const nangoCliDeployBody = z.looseObject({
  flowConfigs: z.array(flowConfig),
  onEventScriptsByProvider: onEventScripts.optional(),
  // Older CLIs sent post-connection scripts under this name.
  postConnectionScriptsByProvider: z
    .array(
      z.looseObject({
        providerConfigKey: z.string().min(1),
        scripts: z.array(z.looseObject({ name: z.string(), fileBody })),
      }),
    )
    .optional(),
  reconcile: z.boolean().default(false),
  debug: z.boolean().default(false),
  deployMode: z.enum(['single', 'integration', 'all']).optional(),
});

export type NangoCliDeployBody = z.output<typeof nangoCliDeployBody>;

/** One line of the plan the CLI prints. */
const planItem = z.object({
  name: z.string(),
  providerConfigKey: z.string(),
  type: z.enum(['sync', 'action', 'on-event']),
  version: z.string().optional(),
  /** Connections a sync will run for. */
  connections: z.number().int().optional(),
  auto_start: z.boolean().optional(),
});

export type NangoCliPlanItem = z.output<typeof planItem>;

/** `POST /sync/deploy/confirmation`: what the deploy would add, change and remove. */
export const nangoCliDeployPlan = z.object({
  newSyncs: z.array(planItem),
  updatedSyncs: z.array(planItem),
  deletedSyncs: z.array(planItem),
  newActions: z.array(planItem),
  updatedActions: z.array(planItem),
  deletedActions: z.array(planItem),
  newOnEventScripts: z.array(planItem),
  updatedOnEventScripts: z.array(planItem),
  deletedOnEventScripts: z.array(planItem),
  deletedModels: z.array(z.string()),
});

/** `POST /sync/deploy`: every script now deployed, per integration. */
export const nangoCliDeployResponse = z.array(
  z.object({
    name: z.string(),
    version: z.string(),
    providerConfigKey: z.string(),
    type: z.enum(['sync', 'action', 'on-event']),
  }),
);
