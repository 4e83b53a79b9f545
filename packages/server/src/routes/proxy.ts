import type { Readable } from 'node:stream';
import { connectionKeys } from '@weft/auth';
import { type ConnectionRowId, connectionRowId } from '@weft/db';
import { type HttpMethod, listProxyRequests, ProxyHttpError } from '@weft/proxy';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import { logQuery, proxyHeaders, proxyLogResponse } from '../contract/proxy.js';
import { serialize } from '../contract/shared.js';
import { parseRequest } from '../validate.js';

const PREFIXES = ['weft-proxy-', 'nango-proxy-'];
const PASS_THROUGH = new Set(['content-type', 'accept', 'if-match', 'if-none-match', 'range']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-encoding']);

/**
 * `ALL /proxy/*`: the proxy engine as an API (Nango-compatible headers). Bodies stream both ways;
 * `Weft-Proxy-X` / `Nango-Proxy-X` request headers are forwarded as `X`. Provider errors come
 * back with the provider's status and body.
 */
export const proxyRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const proxy = ctx.proxy;
    if (proxy === undefined) return;

    app.get('/logs/proxy', async (request) => {
      const query = parseRequest(logQuery, request.query, 'query');
      // connection_id is the external id, as everywhere in the API.
      let connectionRowIds: ConnectionRowId[] | undefined;
      if (query.connection_id !== undefined) {
        const matching = await connectionKeys(ctx.pool, request.environment.id, {
          connectionId: query.connection_id,
          providerConfigKey: query.provider_config_key ?? null,
        });
        connectionRowIds = matching.map((c) => c.rowId);
        // The form this route took before: the internal row id, when no connection has that external id.
        if (connectionRowIds.length === 0 && /^\d{1,15}$/.test(query.connection_id))
          connectionRowIds = [connectionRowId(query.connection_id)];
      }
      const rows = await listProxyRequests(ctx.pool, request.environment.id, {
        limit: query.limit,
        ...(connectionRowIds === undefined ? {} : { connectionRowIds }),
        ...(query.run_id === undefined ? {} : { runId: query.run_id }),
        ...(query.provider_config_key === undefined ? {} : { providerConfigKey: query.provider_config_key }),
        ...(query.before === undefined ? {} : { beforeId: query.before }),
      });
      // Answer with the external connection id (connection_id), never the row id.
      const ids = [
        ...new Set(rows.flatMap((r) => (r.connection_id === null ? [] : [connectionRowId(r.connection_id)]))),
      ];
      const names = new Map(
        (ids.length === 0 ? [] : await connectionKeys(ctx.pool, request.environment.id, { rowIds: ids })).map((c) => [
          c.rowId,
          c.connectionId,
        ]),
      );
      const requests = rows.map((r) => ({
        ...r,
        connection_id: r.connection_id === null ? null : (names.get(connectionRowId(r.connection_id)) ?? null),
      }));
      return serialize(proxyLogResponse, { requests: requests as z.input<typeof proxyLogResponse>['requests'] });
    });

    await app.register(async (scope) => {
      // Bodies are streamed to the provider untouched, whatever their type.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

      scope.all('/proxy/*', async (request, reply) => {
        const headers = parseRequest(proxyHeaders, request.headers, 'headers');
        const forwarded: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (typeof value !== 'string') continue;
          const prefix = PREFIXES.find((p) => name.startsWith(p));
          if (prefix) forwarded[name.slice(prefix.length)] = value;
          else if (PASS_THROUGH.has(name)) forwarded[name] = value;
        }
        const wildcard = (request.params as { '*': string })['*'];
        const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const hasBody =
          request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined && request.body !== null;
        try {
          const response = await proxy.request<Readable>(
            {
              environmentId: request.environment.id,
              providerConfigKey: headers['provider-config-key'],
              connectionId: headers['connection-id'],
            },
            {
              method: request.method as HttpMethod,
              endpoint: `/${wildcard}${search}`,
              headers: forwarded,
              responseType: 'stream',
              ...(hasBody ? { data: request.body as Readable } : {}),
              ...(headers['base-url-override'] ? { baseUrlOverride: headers['base-url-override'] } : {}),
              ...(headers.retries === undefined ? {} : { retries: headers.retries }),
              ...(headers['retry-on'] === undefined ? {} : { retryOn: headers['retry-on'] }),
            },
            // The caller holds the secret key and could read the credentials anyway.
            { trustBaseUrlOverride: true },
          );
          for (const [name, value] of Object.entries(response.headers))
            if (!DROP_RESPONSE.has(name)) reply.header(name, value);
          return reply.status(response.status).send(response.data);
        } catch (error) {
          if (error instanceof ProxyHttpError) {
            for (const [name, value] of Object.entries(error.response.headers)) {
              if (!DROP_RESPONSE.has(name) && name !== 'content-length') reply.header(name, value);
            }
            const data = error.response.data;
            return reply
              .status(error.response.status)
              .send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
          }
          throw error;
        }
      });
    });
  };
