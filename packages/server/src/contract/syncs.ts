import { z } from 'zod';
import { timestamp } from './shared.js';

/**
 * Sync control (Nango's `/sync/*`). `syncs` takes what the client sends: names, `{ name, variant }`
 * objects, `name::variant` strings, a comma list, or `*` for all.
 */
const syncRef = z.union([z.string().min(1), z.object({ name: z.string().min(1), variant: z.string().min(1) })]);
export const syncsField = z
  .union([z.array(syncRef), z.string()])
  .transform((value): Array<{ name: string; variant: string }> => {
    const list = Array.isArray(value) ? value : value === '*' ? [] : value.split(',');
    return list
      .map((s) => (typeof s === 'string' ? s.trim() : s))
      .filter((s) => s !== '')
      .map((s) => {
        if (typeof s !== 'string') return s;
        const [name = s, variant = 'base'] = s.split('::');
        return { name, variant };
      });
  });

export const syncSelectorBody = z.object({
  provider_config_key: z.string({ error: 'provider_config_key is required' }).min(1),
  syncs: syncsField.optional(),
  connection_id: z.string().min(1).optional(),
});

export const triggerSyncBody = syncSelectorBody.extend({
  /** Nango's current form: `reset` re-fetches everything, `emptyCache` also replaces the stored records. */
  opts: z.object({ reset: z.boolean().optional(), emptyCache: z.boolean().optional() }).optional(),
  sync_mode: z.enum(['incremental', 'full_refresh', 'full_refresh_and_clear_cache']).optional(),
  full_resync: z.boolean().optional(),
});

export const syncStatusQuery = syncSelectorBody;

export const frequencyBody = z.object({
  provider_config_key: z.string().min(1),
  connection_id: z.string().min(1),
  sync_name: z.string().min(1),
  sync_variant: z.string().optional(),
  frequency: z.string().nullable(),
});

export const syncRunsQuery = z.object({
  provider_config_key: z.string().min(1),
  sync_name: z.string().optional(),
  connection_id: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const syncStatusEnum = z.enum(['RUNNING', 'SUCCESS', 'ERROR', 'PAUSED', 'STOPPED']);
const modelResult = z.object({ added: z.number(), updated: z.number(), deleted: z.number() });

/** Nango's `ReportedSyncJobStatus` plus Weft's frequency in seconds, last error and attempt. */
export const syncStatus = z
  .object({
    id: z.string(),
    connection_id: z.string(),
    name: z.string(),
    variant: z.string(),
    type: z.enum(['INCREMENTAL', 'INITIAL']),
    status: syncStatusEnum,
    frequency: z.string(),
    finishedAt: timestamp.nullable(),
    nextScheduledSyncAt: timestamp.nullable(),
    latestResult: z.record(z.string(), modelResult),
    latestExecutionStatus: syncStatusEnum.optional(),
    recordCount: z.record(z.string(), z.number()),
    /** Flat in Nango; Weft keeps whatever the script saved (lists, nested objects). */
    checkpoint: z.record(z.string(), z.unknown()).nullable(),
    frequency_seconds: z.number().int(),
    latestError: z.unknown().nullable(),
    attempt: z.number().int().nullable(),
    /** Records the last run stored although they do not match their model (validation policy `warn`). */
    invalidRecords: z
      .object({
        count: z.number().int(),
        records: z.array(z.object({ model: z.string(), recordId: z.string(), path: z.string(), reason: z.string() })),
      })
      .nullable(),
  })
  .meta({ id: 'SyncStatus' });
export type SyncStatusJson = z.output<typeof syncStatus>;

export const syncStatusResponse = z.object({ syncs: z.array(syncStatus) });
export const triggerSyncResponse = z.object({ success: z.boolean(), runs: z.array(z.string()) });
export const pauseSyncResponse = z.object({ success: z.boolean(), paused: z.number().int() });
export const startSyncResponse = z.object({ success: z.boolean(), started: z.number().int() });
export const frequencyResponse = z.object({ frequency: z.string(), frequency_seconds: z.number().int().nullable() });
export const syncRunsResponse = z.object({ runs: z.array(z.looseObject({ id: z.string(), status: z.string() })) });

/** Seconds as a frequency string Nango and `parseFrequency` both read (`every 2 hours`). */
export function frequencyText(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ] as const) {
    if (seconds % size === 0 && seconds >= size) {
      const n = seconds / size;
      return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
    }
  }
  return seconds === 1 ? 'every second' : `every ${seconds} seconds`;
}
