import { z } from 'zod';
import { ON_EVENT_NAMES, type ScriptDefinition } from './describe-script.js';
import { parseFrequency } from './parse-frequency.js';

/** Longest schedule interval: ten years (frequencies are stored as 32-bit seconds). */
const MAX_FREQUENCY_SECONDS = 10 * 365 * 24 * 3600;

const jsonSchema = z.looseObject({}, { error: 'must be a JSON Schema object' });
const endpoint = z.looseObject({ method: z.string().min(1), path: z.string().min(1), group: z.string().optional() });

/**
 * A sync's definition. `frequencySeconds` is never trusted: it is computed from `frequency` with
 * the same parser (and its 30-second minimum) as the compiler, and a different value sent along
 * is refused, so a client cannot deploy a sync that runs every second. Unknown keys pass through
 * (newer compilers).
 */
const syncDefinition = z
  .looseObject({
    kind: z.literal('sync'),
    legacy: z.boolean().default(false),
    description: z.string().default(''),
    version: z.string().default('0.0.1'),
    frequency: z.string({ error: 'a sync needs a frequency such as "every hour"' }),
    frequencySeconds: z.unknown().optional(),
    autoStart: z.boolean().default(true),
    syncType: z.enum(['incremental', 'full']).default('incremental'),
    trackDeletes: z.boolean().default(false),
    endpoints: z.array(endpoint).default([]),
    scopes: z.array(z.string()).default([]),
    models: z
      .record(z.string().min(1), jsonSchema, { error: 'a sync needs models: { Name: JSON Schema }' })
      .refine((models) => Object.keys(models).length > 0, { error: 'a sync needs at least one model' }),
    metadataSchema: jsonSchema.nullable().default(null),
    checkpointSchema: jsonSchema.nullable().default(null),
    /** Notification types the sync's webhook handler is run for (`*` = every type). */
    webhookSubscriptions: z.array(z.string().min(1)).optional(),
    webhookHandler: z.boolean().optional(),
  })
  .transform((definition, ctx) => {
    let seconds: number;
    try {
      seconds = parseFrequency(definition.frequency);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['frequency'], message: (error as Error).message });
      return z.NEVER;
    }
    if (seconds > MAX_FREQUENCY_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['frequency'], message: 'must be at most every 10 years' });
      return z.NEVER;
    }
    if (definition.frequencySeconds !== undefined && definition.frequencySeconds !== seconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['frequencySeconds'],
        message: `must be ${seconds} (what ${JSON.stringify(definition.frequency)} means), not ${JSON.stringify(definition.frequencySeconds)}`,
      });
      return z.NEVER;
    }
    return { ...definition, frequencySeconds: seconds };
  });

const actionDefinition = z.looseObject({
  kind: z.literal('action'),
  legacy: z.boolean().default(false),
  description: z.string().default(''),
  version: z.string().default('0.0.1'),
  endpoint: endpoint.nullable().default(null),
  scopes: z.array(z.string()).default([]),
  inputSchema: jsonSchema.nullable().default(null),
  outputSchema: jsonSchema.nullable().default(null),
});

const onEventDefinition = z.looseObject({
  kind: z.literal('on-event'),
  legacy: z.boolean().default(false),
  description: z.string().default(''),
  version: z.string().default('0.0.1'),
  event: z.enum(ON_EVENT_NAMES, { error: `an event script needs event: ${ON_EVENT_NAMES.join(' | ')}` }),
});

/**
 * The definition the compiler produces for a script, as a schema: the compiler checks its own
 * output with it and `POST /deploy` checks what a client sends (it never trusts a definition).
 */
export const scriptDefinitionSchema = z.discriminatedUnion('kind', [
  syncDefinition,
  actionDefinition,
  onEventDefinition,
]) as unknown as z.ZodType<ScriptDefinition, unknown>;
