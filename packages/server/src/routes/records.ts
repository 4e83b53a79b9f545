import { createRecordsReader, decodeCursor, pruneRecords, resolveRecordsTarget } from '@weft/records';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import { connectionHeaders, pruneBody, recordsQuery } from '../contract/records.js';
import { serverErrors } from '../errors.js';
import { parseRequest } from '../validate.js';

/** Weft runs each sync once per connection: its records are those of Nango's `base` variant. */
function assertBaseVariant(variant: string | undefined): void {
  if (variant !== undefined && variant !== 'base')
    throw serverErrors.create('WEFT_NOT_SUPPORTED', {
      feature: `Records of sync variant ${JSON.stringify(variant)}`,
      reason: 'each sync runs once per connection (variant "base")',
    });
}

/** `GET /records`, `PATCH /records/prune` (Nango-compatible headers and shapes). */
export const recordsRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const reader = createRecordsReader(ctx.pool, ctx.recordCipher ? { cipher: ctx.recordCipher } : {});

    // A consumer paging through a backlog asks for the same target on every page: the resolution
    // is remembered until a connection or model changes (lookup-cache.ts: forgotten synchronously
    // when this process deletes, through NOTIFY when another one does). Failures are never cached.
    function resolve(request: FastifyRequest, model: string) {
      const headers = parseRequest(connectionHeaders, request.headers, 'headers');
      const load = () =>
        resolveRecordsTarget(
          ctx.pool,
          request.environment.id,
          headers['provider-config-key'],
          headers['connection-id'],
          model,
        );
      if (ctx.lookups === undefined) return load();
      const key = JSON.stringify([
        'records-target',
        request.environment.id,
        headers['provider-config-key'],
        headers['connection-id'],
        model,
      ]);
      return ctx.lookups.remember(key, load);
    }

    app.get('/records', async (request, reply) => {
      const query = parseRequest(recordsQuery, request.query, 'query');
      assertBaseVariant(query.variant);
      const modifiedAfter = query.modified_after ?? query.delta;
      const target = await resolve(request, query.model);
      const { body } = await reader.read({
        connectionRowId: target.connectionRowId,
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
        connectionRowId: target.connectionRowId,
        model: body.model,
        untilCursor: body.until_cursor,
        ...(body.limit === undefined ? {} : { limit: body.limit }),
      });
      return { count: result.count, has_more: result.hasMore };
    });
  };
