import {
  createRecordsReader,
  decodeCursor,
  pruneRecords,
  type RecordAction,
  type RecordsTarget,
  resolveRecordsTarget,
} from '@weft/records';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { serverErrors } from '../errors.js';
import { parseRequest } from '../validate.js';

const connectionHeaders = z.object({
  'connection-id': z.string({ error: 'header Connection-Id is required' }).min(1),
  'provider-config-key': z.string({ error: 'header Provider-Config-Key is required' }).min(1),
});

const actions = { added: 'ADDED', updated: 'UPDATED', deleted: 'DELETED' } as const;

const recordsQuery = z.object({
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

/** Weft runs each sync once per connection: its records are those of Nango's `base` variant. */
function assertBaseVariant(variant: string | undefined): void {
  if (variant !== undefined && variant !== 'base')
    throw serverErrors.create('WEFT_NOT_SUPPORTED', {
      feature: `Records of sync variant ${JSON.stringify(variant)}`,
      reason: 'each sync runs once per connection (variant "base")',
    });
}

const pruneBody = z.object({
  model: z.string().min(1),
  until_cursor: z.string().min(1),
  limit: z.number().int().min(1).max(100_000).optional(),
  variant: z.string().optional(),
});

/** `GET /records`, `PATCH /records/prune` (Nango-compatible headers and shapes). */
export const recordsRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const reader = createRecordsReader(ctx.pool);

    // A consumer paging through a backlog asks for the same target on every page; remembering
    // successful resolutions for 2 s takes a database round trip off each page (a deleted
    // connection or model stays readable for at most that long). Failures are never cached.
    const targets = new Map<string, { value: Promise<RecordsTarget>; until: number }>();
    function resolve(request: FastifyRequest, model: string) {
      const headers = parseRequest(connectionHeaders, request.headers, 'headers');
      const key = JSON.stringify([
        request.environment.id,
        headers['provider-config-key'],
        headers['connection-id'],
        model,
      ]);
      const hit = targets.get(key);
      if (hit !== undefined && hit.until > Date.now()) return hit.value;
      const value = resolveRecordsTarget(
        ctx.pool,
        request.environment.id,
        headers['provider-config-key'],
        headers['connection-id'],
        model,
      );
      if (targets.size > 1000) targets.clear();
      targets.set(key, { value, until: Date.now() + 2_000 });
      value.catch(() => targets.delete(key));
      return value;
    }

    app.get('/records', async (request, reply) => {
      const query = parseRequest(recordsQuery, request.query, 'query');
      assertBaseVariant(query.variant);
      const modifiedAfter = query.modified_after ?? query.delta;
      const target = await resolve(request, query.model);
      const { body } = await reader.read({
        connectionId: target.connectionId,
        model: query.model,
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(modifiedAfter === undefined ? {} : { modifiedAfter }),
        ...(query.filter === undefined ? {} : { actions: query.filter }),
        ...(query.ids === undefined ? {} : { ids: query.ids }),
      });
      // A Buffer skips Fastify's string length pass and re-encoding: measurably faster at ~1 MB pages.
      return reply.type('application/json; charset=utf-8').send(body);
    });

    app.patch('/records/prune', async (request) => {
      const body = parseRequest(pruneBody, request.body, 'body');
      assertBaseVariant(body.variant);
      decodeCursor(body.until_cursor); // a bad cursor is a 400 before anything else
      const target = await resolve(request, body.model);
      const result = await pruneRecords(ctx.pool, {
        connectionId: target.connectionId,
        model: body.model,
        untilCursor: body.until_cursor,
        ...(body.limit === undefined ? {} : { limit: body.limit }),
      });
      return { count: result.count, has_more: result.hasMore };
    });
  };
