import { type CompiledScript, compileNangoCliDeployment, type NangoCliIntegrationScripts } from '@weft/runner';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseRequest } from '../validate.js';

/**
 * The routes the Nango CLI (`nango deploy`, pinned 0.71.x) calls when `NANGO_HOSTPORT` points at
 * Weft: `POST /sync/deploy/confirmation` (the plan it prints) then `POST /sync/deploy`. Both
 * carry the CLI's CommonJS builds; Weft wraps them for its sandbox and stores them per
 * integration like `weft deploy` does. `nango dryrun` needs no route of its own: it runs the
 * script on the developer's machine and calls the Nango-compatible API (`/connection/:id`,
 * `/integrations/:key`, `/proxy/*`).
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

const deployBody = z.looseObject({
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

type DeployBody = z.output<typeof deployBody>;

interface PlanItem {
  name: string;
  providerConfigKey: string;
  type: 'sync' | 'action' | 'on-event';
  version?: string;
  connections?: number;
  auto_start?: boolean;
}

/**
 * What Weft stores of an integration's CLI deployment: syncs, actions and on-event scripts
 * (`deployed_scripts.kind = 'on-event'`), so the runner runs event scripts from `nango deploy`
 * exactly like those from `weft deploy`.
 */
function scriptsToStore(group: NangoCliIntegrationScripts): CompiledScript[] {
  return [...group.scripts, ...group.onEventScripts];
}

export const nangoCliRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const runner = ctx.runner;
    const auth = ctx.auth;
    if (runner === undefined || auth === undefined) return;

    async function compile(body: DeployBody) {
      const legacyPostConnection = (body.postConnectionScriptsByProvider ?? []).map((p) => ({
        providerConfigKey: p.providerConfigKey,
        scripts: p.scripts.map((s) => ({ ...s, event: 'post-connection-creation' as const })),
      }));
      return compileNangoCliDeployment({
        flowConfigs: body.flowConfigs,
        onEventScriptsByProvider: [...(body.onEventScriptsByProvider ?? []), ...legacyPostConnection],
      });
    }

    async function connectionCount(request: FastifyRequest, providerConfigKey: string): Promise<number> {
      const list = await auth?.listConnections(request.environment.id, { providerConfigKey });
      return list?.length ?? 0;
    }

    // The plan `nango deploy` prints before deploying (and asks to confirm when destructive).
    app.post('/sync/deploy/confirmation', { bodyLimit: 200 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(deployBody, request.body, 'body');
      const groups = await compile(body);
      const plan = {
        newSyncs: [] as PlanItem[],
        updatedSyncs: [] as PlanItem[],
        deletedSyncs: [] as PlanItem[],
        newActions: [] as PlanItem[],
        updatedActions: [] as PlanItem[],
        deletedActions: [] as PlanItem[],
        newOnEventScripts: [] as PlanItem[],
        updatedOnEventScripts: [] as PlanItem[],
        deletedOnEventScripts: [] as PlanItem[],
        deletedModels: [] as string[],
      };
      for (const group of groups) {
        const key = group.providerConfigKey;
        plan.newOnEventScripts.push(
          ...group.onEventScripts.map((s) => ({ name: s.name, providerConfigKey: key, type: 'on-event' as const })),
        );
        // An integration with only event scripts keeps its syncs and actions as they are.
        if (scriptsToStore(group).length === 0) continue;
        const { diff } = await runner.deploy(request.environment.id, key, scriptsToStore(group), { dryRun: true });
        const connections = await connectionCount(request, key);
        const sync = (name: string): PlanItem => {
          const script = group.scripts.find((s) => s.kind === 'sync' && s.name === name);
          const autoStart = script?.definition.kind === 'sync' ? script.definition.autoStart : true;
          return { name, providerConfigKey: key, type: 'sync', connections, auto_start: autoStart };
        };
        const action = (name: string): PlanItem => ({ name, providerConfigKey: key, type: 'action' });
        plan.newSyncs.push(...diff.addedSyncs.map(sync));
        plan.updatedSyncs.push(...diff.changedSyncs.map(sync));
        plan.deletedSyncs.push(...diff.removedSyncs.map((name) => ({ ...sync(name), auto_start: true })));
        plan.newActions.push(...diff.addedActions.map(action));
        plan.updatedActions.push(...diff.changedActions.map(action));
        plan.deletedActions.push(...diff.removedActions.map(action));
        plan.deletedModels.push(...diff.removedModels);
      }
      return plan;
    });

    // The CLI only calls this once the plan is confirmed (it asks itself for destructive plans),
    // so removals go through here without Weft's own `force`.
    app.post('/sync/deploy', { bodyLimit: 200 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(deployBody, request.body, 'body');
      const groups = await compile(body);
      const deployed: Array<{ name: string; version: string; providerConfigKey: string; type: string }> = [];
      for (const group of groups) {
        const scripts = scriptsToStore(group);
        if (scripts.length === 0) continue;
        await runner.deploy(request.environment.id, group.providerConfigKey, scripts, { force: true });
        for (const script of scripts)
          deployed.push({
            name: script.name,
            version: script.definition.version,
            providerConfigKey: group.providerConfigKey,
            type: script.kind,
          });
      }
      return deployed;
    });
  };
