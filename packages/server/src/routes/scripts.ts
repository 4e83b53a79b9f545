import { registeredErrorCatalogs } from '@weft/core';
import { type CompiledScript, listDeployments, runnerErrors, type ScriptDefinition } from '@weft/runner';
import { getAsyncActionRun, runActionNow, startAsyncAction } from '@weft/scheduler';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ServerContext } from '../context.js';
import {
  actionBody,
  actionHeaders,
  actionIdParams,
  asyncActionResponse,
  type compiledScript,
  deployBody,
  deploymentsQuery,
  deploymentsResponse,
  deployResponse,
  dryrunBody,
  dryrunResponse,
  type nangoScriptConfig,
  nangoScriptsConfigResponse,
  openAiScriptsConfigResponse,
  rollbackBody,
  rollbackResponse,
  scriptsConfigQuery,
  scriptsConfigResponse,
} from '../contract/scripts.js';
import { serialize } from '../contract/shared.js';
import { serverErrors } from '../errors.js';
import { parseRequest } from '../validate.js';

const connectionHeaders = actionHeaders;

/** A deployed script as Nango's `NangoSyncConfig`. */
function nangoConfigOf(
  name: string,
  definition: Exclude<ScriptDefinition, { kind: 'on-event' }>,
): z.input<typeof nangoScriptConfig> {
  const common = {
    name,
    type: definition.kind,
    description: definition.description,
    version: definition.version || null,
    scopes: definition.scopes,
    sdk_version: null,
    features: [],
    enabled: true,
  };
  if (definition.kind === 'sync') {
    return {
      ...common,
      runs: definition.frequency,
      auto_start: definition.autoStart,
      sync_type: definition.syncType,
      track_deletes: definition.trackDeletes,
      returns: Object.keys(definition.models),
      endpoints: definition.endpoints,
      json_schema: Object.keys(definition.models).length === 0 ? null : { definitions: definition.models },
      ...(definition.webhookSubscriptions ? { webhookSubscriptions: definition.webhookSubscriptions } : {}),
    };
  }
  return {
    ...common,
    runs: null,
    auto_start: false,
    track_deletes: false,
    returns: definition.outputSchema === null ? [] : [`${name}-output`],
    ...(definition.inputSchema === null ? {} : { input: `${name}-input` }),
    endpoints: definition.endpoint === null ? [] : [definition.endpoint],
    json_schema:
      definition.inputSchema === null && definition.outputSchema === null
        ? null
        : {
            definitions: {
              ...(definition.inputSchema === null ? {} : { [`${name}-input`]: definition.inputSchema }),
              ...(definition.outputSchema === null ? {} : { [`${name}-output`]: definition.outputSchema }),
            },
          },
  };
}

/** An action as an OpenAI function: the top-level properties of its input schema. */
function openAiFunctionOf(name: string, definition: ScriptDefinition) {
  const input = (definition.kind === 'action' ? definition.inputSchema : null) as {
    properties?: Record<string, { type?: unknown; description?: unknown }>;
    required?: string[];
  } | null;
  return {
    name,
    description: definition.description,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(
        Object.entries(input?.properties ?? {}).map(([key, value]) => [
          key,
          {
            type: typeof value.type === 'string' ? value.type : 'string',
            description: typeof value.description === 'string' ? value.description : '',
          },
        ]),
      ),
      required: input?.required ?? [],
    },
  };
}

/** The HTTP status a stored error code stands for (its catalog's), 500 when unknown. */
function statusOfCode(code: unknown): number {
  for (const catalog of registeredErrorCatalogs()) {
    const spec = (catalog.specs as Record<string, { status: number } | undefined>)[String(code)];
    if (spec !== undefined) return spec.status;
  }
  return 500;
}

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
      return serialize(deployResponse, {
        version: result.version,
        applied: result.applied,
        diff: { ...result.diff },
      });
    });

    app.post('/deploy/rollback', async (request) => {
      const body = parseRequest(rollbackBody, request.body, 'body');
      return serialize(rollbackResponse, {
        version: await runner.rollback(request.environment.id, body.provider_config_key),
      });
    });

    app.get('/deployments', async (request) => {
      const { provider_config_key } = parseRequest(deploymentsQuery, request.query, 'query');
      const deployments = await listDeployments(ctx.pool, request.environment.id, provider_config_key);
      return serialize(deploymentsResponse, {
        deployments: deployments.map((d) => ({
          version: d.version,
          active: d.active,
          summary: d.summary,
          created_at: d.createdAt,
        })),
      });
    });

    app.get('/scripts/config', async (request) => {
      const { provider_config_key, format } = parseRequest(scriptsConfigQuery, request.query, 'query');
      if (provider_config_key !== undefined) {
        const scripts = await runner.scriptsConfig(request.environment.id, provider_config_key);
        return serialize(scriptsConfigResponse, {
          data: scripts.map((s) => ({
            name: s.name,
            type: s.kind,
            version: s.version,
            file: s.file,
            definition: s.definition as unknown as Record<string, unknown>,
          })),
        });
      }
      // Nango's client form: every integration of the environment.
      const integrations = await auth.listIntegrations(request.environment.id);
      const configs = await Promise.all(
        integrations.map(async (integration) => ({
          integration,
          scripts: await runner.scriptsConfig(request.environment.id, integration.uniqueKey),
        })),
      );
      if (format === 'openai') {
        return serialize(openAiScriptsConfigResponse, {
          data: configs.flatMap(({ scripts }) =>
            scripts.filter((s) => s.kind === 'action').map((s) => openAiFunctionOf(s.name, s.definition)),
          ),
        });
      }
      return serialize(
        nangoScriptsConfigResponse,
        configs
          .filter(({ scripts }) => scripts.length > 0)
          .map(({ integration, scripts }) => ({
            providerConfigKey: integration.uniqueKey,
            provider: integration.provider,
            syncs: scripts.flatMap((s) => (s.definition.kind === 'sync' ? [nangoConfigOf(s.name, s.definition)] : [])),
            actions: scripts.flatMap((s) =>
              s.definition.kind === 'action' ? [nangoConfigOf(s.name, s.definition)] : [],
            ),
            // Nango lists event scripts in its own shape; Weft's are listed by `?provider_config_key=`.
            'on-events': [],
          })),
      );
    });

    app.post('/action/trigger', async (request, reply) => {
      const headers = parseRequest(connectionHeaders, request.headers, 'headers');
      const body = parseRequest(actionBody, request.body, 'body');
      const connection = await connectionOf(request, headers['provider-config-key'], headers['connection-id']);
      const action = {
        environmentId: request.environment.id,
        connection,
        actionName: body.action_name,
        input: body.input ?? {},
      };
      // The run's bookkeeping (action_runs, heartbeat, outcome + webhook) is the scheduler's.
      const deps = { pool: ctx.pool, runner, ...(ctx.actionHeartbeats ? { heartbeats: ctx.actionHeartbeats } : {}) };
      if (headers['x-async'] === 'true') {
        // With a scheduler, a pg-boss job of the fleet (run here when this process has a free slot).
        const queue = ctx.scheduler?.asyncActions;
        const id = await startAsyncAction({ ...deps, ...(queue ? { queue } : {}) }, action, (error) =>
          request.log.error({ err: error }, 'async action bookkeeping failed'),
        );
        return reply.status(202).send(serialize(asyncActionResponse, { id, statusUrl: `/action/${id}` }));
      }
      const output = await runActionNow(deps, action, (error) =>
        request.log.error({ err: error }, 'action run bookkeeping failed'),
      );
      return reply.send(output);
    });

    // Nango's answer: the action's output once it succeeded; its error (with the status the
    // synchronous call would have had) once it failed; 404 WEFT_API_ACTION_PENDING meanwhile.
    app.get('/action/:id', async (request, reply) => {
      const { id } = parseRequest(actionIdParams, request.params, 'params');
      const run = await getAsyncActionRun(ctx.pool, request.environment.id, id);
      if (run === undefined)
        throw runnerErrors.create('WEFT_RUNNER_SCRIPT_NOT_FOUND', {
          kind: 'async action',
          name: id,
          providerConfigKey: '-',
        });
      if (run.status === 'queued' || run.status === 'running')
        throw serverErrors.create('WEFT_API_ACTION_PENDING', { id });
      if (run.status === 'failed') return reply.status(statusOfCode(run.error?.code)).send({ error: run.error });
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(run.output ?? null));
    });

    app.post('/dryrun', { bodyLimit: 50 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(dryrunBody, request.body, 'body');
      const connection = await connectionOf(request, body.provider_config_key, body.connection_id);
      const script = toCompiled(body.script);
      const webhook = body.webhook_payload !== undefined ? { payload: body.webhook_payload } : undefined;
      if (webhook && (script.definition.kind !== 'sync' || script.definition.webhookHandler !== true))
        throw runnerErrors.create('WEFT_RUNNER_NO_WEBHOOK_HANDLER', { name: script.name });
      // Event scripts dryrun like actions without input: nango.* calls against the live connection.
      if (script.kind === 'action' || script.kind === 'on-event') {
        const result = await runner.runAction(
          { environmentId: request.environment.id, connection, actionName: script.name, input: body.input ?? {} },
          script,
        );
        return serialize(dryrunResponse, { output: result.output, logs: result.logs });
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
          ...(webhook ? { webhook } : {}),
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
      return serialize(dryrunResponse, {
        status: result.status,
        counts: result.counts,
        error: result.error ?? null,
        logs: result.logs,
        records: result.records,
        invalid_records: result.invalidRecords ?? null,
        duration_ms: Math.round(result.durationMs),
      });
    });
  };
