import type { RecordAction } from '@weft/records';
import { z } from 'zod';

/** Records (Nango's `GET /records`, `PATCH /records/prune`): headers, query and answers. */

export const connectionHeaders = z.object({
  'connection-id': z.string({ error: 'header Connection-Id is required' }).min(1),
  'provider-config-key': z.string({ error: 'header Provider-Config-Key is required' }).min(1),
});

export const actions = { added: 'ADDED', updated: 'UPDATED', deleted: 'DELETED' } as const;

export const recordsQuery = z.object({
  model: z.string({ error: 'model is required' }).min(1, { error: 'model is required' }),
  cursor: z.string().optional(),
  modified_after: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z' })
    .optional(),
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 1000' })
    .int({ error: 'must be an integer from 1 to 1000' })
    .min(1, { error: 'must be an integer from 1 to 1000' })
    .max(1000, { error: 'must be an integer from 1 to 1000' })
    .default(100),
  filter: z
    .string()
    .transform((value, ctx) => {
      const out: RecordAction[] = [];
      for (const part of value.split(',').map((p) => p.trim().toLowerCase())) {
        const action = actions[part as keyof typeof actions];
        if (action === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown filter ${JSON.stringify(part)}; use added, updated, deleted`,
          });
          return z.NEVER;
        }
        out.push(action);
      }
      return out;
    })
    .optional(),
  ids: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .optional(),
  variant: z.string().optional(),
  /** Nango's older name of `modified_after`. */
  delta: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2026-01-31T12:00:00.000Z' })
    .optional(),
});

export const pruneBody = z.object({
  model: z.string().min(1),
  until_cursor: z.string().min(1),
  limit: z.number().int().min(1).max(100_000).optional(),
  variant: z.string().optional(),
});

/** Nango's `NangoRecord`: the script's fields plus `_nango_metadata`. */
export const nangoRecord = z
  .looseObject({
    id: z.union([z.string(), z.number()]),
    _nango_metadata: z.object({
      first_seen_at: z.string(),
      last_modified_at: z.string(),
      last_action: z.enum(['ADDED', 'UPDATED', 'DELETED']),
      deleted_at: z.string().nullable(),
      pruned_at: z.string().nullable(),
      cursor: z.string(),
    }),
  })
  .meta({ id: 'NangoRecord' });

export const listRecordsResponse = z.object({ records: z.array(nangoRecord), next_cursor: z.string().nullable() });
export const pruneRecordsResponse = z.object({ count: z.number().int(), has_more: z.boolean() });
