import { randomUUID } from 'node:crypto';
import { isWeftError } from '@weft/core';
import { type CompiledScript, type RunLog, runnerErrors, scriptDefinitionSchema } from '@weft/runner';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import * as sql from '../sql.js';
import { parseRequest } from '../validate.js';

const compiledScript = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][\w-]*$/, { error: 'script names use letters, digits, - and _' }),
  kind: z.enum(['sync', 'action', 'on-event']),
  file: z.string().min(1),
  bundle: z.string().min(1),
  source_map: z.string(),
  sources: z.record(z.string(), z.string()).default({}),
  // Never trusted: checked with the compiler's own schema (models, frequency minimum, …).
  definition: scriptDefinitionSchema,
});

const deployBody = z.object({
  provider_config_key: z.string().min(1),
  scripts: z.array(compiledScript).min(1, { error: 'at least one script' }),
  force: z.boolean().default(false),
  dry_run: z.boolean().default(false),
});

const connectionHeaders = z.object({
  'connection-id': z.string({ error: 'header Connection-Id is required' }).min(1),
  'provider-config-key': z.string({ error: 'header Provider-Config-Key is required' }).min(1),
  'x-async': z.enum(['true', 'false']).optional(),
});

const actionBody = z.object({
  action_name: z.string().min(1, { error: 'action_name is required' }),
  input: z.unknown().optional(),
});

const dryrunBody = z.object({
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
});

const toCompiled = (s: z.output<typeof compiledScript>): CompiledScript =>
  ({
    name: s.name,
    kind: s.kind,
    file: s.file,
    bundle: s.bundle,
    sourceMap: s.source_map,
    sources: s.sources,
    definition: s.definition,
  }) as unknown as CompiledScript;

/** Deploys, scripts config, action triggers and dryruns. */
export const scriptRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const runner = ctx.runner;
    const auth = ctx.auth;
    if (runner === undefined || auth === undefined) return;

    async function connectionOf(request: FastifyRequest, providerConfigKey: string, connectionId: string) {
      const record = await auth?.findConnectionRecord({
        environmentId: request.environment.id,
        providerConfigKey,
        connectionId,
      });
      if (record === undefined) throw new Error('auth service missing');
      return { id: record.id, providerConfigKey, connectionId };
    }

    app.post('/deploy', { bodyLimit: 200 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(deployBody, request.body, 'body');
      const result = await runner.deploy(
        request.environment.id,
        body.provider_config_key,
        body.scripts.map(toCompiled),
        { force: body.force, dryRun: body.dry_run },
      );
      if (!result.applied && !body.dry_run && result.diff.destructive) {
        const what = [
          ...result.diff.removedSyncs.map((s) => `sync ${s}`),
          ...result.diff.removedModels.map((m) => `model ${m}`),
        ].join(', ');
        throw runnerErrors.create('WEFT_RUNNER_DESTRUCTIVE_DEPLOY', { what }, { diff: result.diff });
      }
      return { version: result.version, applied: result.applied, diff: result.diff };
    });

    app.post('/deploy/rollback', async (request) => {
      const body = parseRequest(z.object({ provider_config_key: z.string().min(1) }), request.body, 'body');
      return { version: await runner.rollback(request.environment.id, body.provider_config_key) };
    });

    app.get('/deployments', async (request) => {
      const { provider_config_key } = parseRequest(
        z.object({ provider_config_key: z.string().min(1) }),
        request.query,
        'query',
      );
      const { rows } = await ctx.pool.query(
        `SELECT d.version, d.active, d.summary, d.created_at FROM deployments d JOIN integrations i ON i.id = d.integration_id
         WHERE i.environment_id = $1 AND i.unique_key = $2 ORDER BY d.version DESC LIMIT 100`,
        [request.environment.id, provider_config_key],
      );
      return { deployments: rows };
    });

    app.get('/scripts/config', async (request) => {
      const { provider_config_key } = parseRequest(
        z.object({ provider_config_key: z.string().min(1) }),
        request.query,
        'query',
      );
      const scripts = await runner.scriptsConfig(request.environment.id, provider_config_key);
      return {
        data: scripts.map((s) => ({
          name: s.name,
          type: s.kind,
          version: s.version,
          file: s.file,
          definition: s.definition,
        })),
      };
    });

    app.post('/action/trigger', async (request, reply) => {
      const headers = parseRequest(connectionHeaders, request.headers, 'headers');
      const body = parseRequest(actionBody, request.body, 'body');
      const connection = await connectionOf(request, headers['provider-config-key'], headers['connection-id']);
      const logs: RunLog[] = [];
      const startedAt = new Date().toISOString();
      const run = () =>
        runner.runAction({
          environmentId: request.environment.id,
          connection,
          actionName: body.action_name,
          input: body.input ?? {},
          onLog: (entry) => {
            if (logs.length < 500) logs.push(entry);
          },
        });
      const errorJson = (error: unknown) =>
        JSON.stringify(isWeftError(error) ? error.toJSON() : { code: 'WEFT_CORE_INTERNAL', message: String(error) });
      if (headers['x-async'] === 'true') {
        const id = randomUUID();
        await ctx.pool.query(sql.INSERT_ACTION_RUN, [
          id,
          request.environment.id,
          connection.id,
          body.action_name,
          'running',
          true,
          startedAt,
        ]);
        const untrack = ctx.actionHeartbeats?.track(id);
        run()
          .finally(() => untrack?.())
          .then(
            (result) =>
              ctx.pool.query(sql.FINISH_ACTION_RUN, [
                id,
                'success',
                JSON.stringify(result.output ?? null),
                null,
                JSON.stringify(logs),
              ]),
            (error: unknown) =>
              ctx.pool.query(sql.FINISH_ACTION_RUN, [id, 'failed', null, errorJson(error), JSON.stringify(logs)]),
          )
          .catch((error: unknown) => request.log.error({ err: error }, 'async action bookkeeping failed'));
        return reply.status(202).send({ id, statusUrl: `/action/${id}` });
      }
      // Synchronous runs are logged once, when they end (the operation log shows them; GET /action/:id does not).
      const record = (status: 'success' | 'failed', error: string | null) =>
        ctx.pool
          .query(sql.RECORD_ACTION_RUN, [
            randomUUID(),
            request.environment.id,
            connection.id,
            body.action_name,
            status,
            startedAt,
            error,
            JSON.stringify(logs),
          ])
          .catch((e: unknown) => request.log.error({ err: e }, 'action run bookkeeping failed'));
      try {
        const result = await run();
        await record('success', null);
        return reply.send(result.output ?? null);
      } catch (error) {
        await record('failed', errorJson(error));
        throw error;
      }
    });

    app.get('/action/:id', async (request) => {
      const { id } = parseRequest(z.object({ id: z.uuid({ error: 'not an action id' }) }), request.params, 'params');
      const { rows } = await ctx.pool.query<{
        id: string;
        action_name: string;
        status: string;
        output: unknown;
        error: unknown;
        created_at: string;
        finished_at: string | null;
      }>(
        'SELECT id, action_name, status, output, error, created_at, finished_at FROM action_runs WHERE id = $1 AND environment_id = $2 AND async',
        [id, request.environment.id],
      );
      const row = rows[0];
      if (row === undefined)
        throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', {
          kind: 'async action',
          name: id,
          providerConfigKey: '-',
        });
      return row;
    });

    app.post('/dryrun', { bodyLimit: 50 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(dryrunBody, request.body, 'body');
      const connection = await connectionOf(request, body.provider_config_key, body.connection_id);
      const script = toCompiled(body.script);
      // Event scripts dryrun like actions without input: nango.* calls against the live connection.
      if (script.kind === 'action' || script.kind === 'on-event') {
        const result = await runner.runAction(
          { environmentId: request.environment.id, connection, actionName: script.name, input: body.input ?? {} },
          script,
        );
        return { output: result.output, logs: result.logs };
      }
      const result = await runner.dryrunSync(
        {
          environmentId: request.environment.id,
          connection,
          syncName: script.name,
          mode: 'incremental',
          lastSyncDate: body.last_sync_date,
          ...(body.variant ? { variant: body.variant } : {}),
          validation: body.validation ? 'reject' : 'warn',
          ...(body.metadata || body.checkpoint
            ? {
                stub: {
                  ...(body.metadata ? { metadata: body.metadata } : {}),
                  ...(body.checkpoint ? { checkpoint: body.checkpoint } : {}),
                },
              }
            : {}),
        },
        script,
        body.save,
      );
      return {
        status: result.status,
        counts: result.counts,
        error: result.error ?? null,
        logs: result.logs,
        records: result.records,
        invalid_records: result.invalidRecords ?? null,
        duration_ms: Math.round(result.durationMs),
      };
    });
  };
