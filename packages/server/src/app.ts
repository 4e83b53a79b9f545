import formbody from '@fastify/formbody';
import { startActionHeartbeats } from '@weft/scheduler';
import Fastify, { type FastifyInstance } from 'fastify';
import { installAuthentication } from './authenticate.js';
import type { ServerContext } from './context.js';
import { type ContractViolation, checkResponses } from './contract/check-responses.js';
import { routeContracts } from './contract/routes.js';
import { clientErrorHandler, frameworkErrors, installErrorHandling } from './error-handler.js';
import { installInputGuards } from './input-guards.js';
import { acceptEmptyJsonBodies } from './json-body.js';
import { loggerOptions } from './logger.js';
import { createLookupCache } from './lookup-cache.js';
import { collectRoutes } from './route-list.js';
import { connectRoutes } from './routes/connect.js';
import { connectionRoutes } from './routes/connections.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { environmentRoutes } from './routes/environment.js';
import { environmentVariableRoutes } from './routes/environment-variables.js';
import { healthRoutes } from './routes/health.js';
import { integrationRoutes } from './routes/integrations.js';
import { logsRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { nangoCliRoutes } from './routes/nango-cli.js';
import { notSupportedRoutes } from './routes/not-supported.js';
import { oauthRoutes } from './routes/oauth.js';
import { openApiRoutes } from './routes/openapi.js';
import { providerWebhookRoutes } from './routes/provider-webhooks.js';
import { proxyRoutes } from './routes/proxy.js';
import { recordsRoutes } from './routes/records.js';
import { scriptRoutes } from './routes/scripts.js';
import { statusRoutes } from './routes/status.js';
import { syncRoutes } from './routes/sync.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface BuildServerOptions {
  /** Where request logs go (tests capture them). @default stdout */
  logStream?: NodeJS.WritableStream;
  /** @default 10 MiB */
  bodyLimit?: number;
  /** Check every answer against its route contract and report mismatches (tests). */
  onContractViolation?: (violation: ContractViolation) => void;
}

/** The Fastify app with every REST area registered; not listening yet. */
export async function buildServer(ctx: ServerContext, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(ctx.config.LOG_LEVEL, options.logStream),
    bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024,
    // Request ids help correlate log lines; never trust a client-sent id blindly for anything else.
    requestIdHeader: 'x-request-id',
    // Router and HTTP-parser failures (over-long path segments, oversized headers) answer in
    // Weft's error shape too, not Fastify's or Node's bare 414/431.
    frameworkErrors,
    clientErrorHandler,
    // Nango's client calls `/records/?…`; Weft's own routes have no trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
  });
  collectRoutes(app);
  acceptEmptyJsonBodies(app);
  if (options.onContractViolation) checkResponses(app, routeContracts, options.onContractViolation);
  installErrorHandling(app);
  installInputGuards(app);
  const lookups = createLookupCache(ctx.pool, {
    onError: (error) =>
      app.log.warn({ err: error }, 'API lookup cache: invalidation listener lost; looking up every request'),
  });
  await lookups.start();
  app.decorate('lookups', lookups);
  app.addHook('onClose', async () => lookups.stop());
  installAuthentication(app, ctx.pool, lookups);
  await app.register(formbody);
  await app.register(healthRoutes(ctx));
  await app.register(environmentRoutes);
  await app.register(environmentVariableRoutes(ctx));
  await app.register(integrationRoutes(ctx));
  await app.register(connectRoutes(ctx));
  await app.register(oauthRoutes(ctx));
  await app.register(connectionRoutes(ctx));
  await app.register(proxyRoutes(ctx));
  await app.register(recordsRoutes({ ...ctx, lookups }));
  const actionHeartbeats = startActionHeartbeats(ctx.pool, {
    timeoutMs: ctx.config.WEFT_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    // With a scheduler, its action queue reaps lost runs; this one only heartbeats the runs it starts.
    reap: ctx.scheduler === undefined,
    onError: (error) => app.log.error({ err: error }, 'async action heartbeat failed'),
  });
  app.addHook('onClose', async () => actionHeartbeats.stop());
  await app.register(scriptRoutes({ ...ctx, actionHeartbeats }));
  await app.register(nangoCliRoutes(ctx));
  await app.register(syncRoutes(ctx));
  await app.register(statusRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(logsRoutes(ctx));
  await app.register(dashboardRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  await app.register(providerWebhookRoutes(ctx));
  await app.register(notSupportedRoutes);
  await app.register(openApiRoutes(ctx));
  return app;
}
