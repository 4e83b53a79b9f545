import { type CompiledScript, compileNangoCliDeployment, type NangoCliIntegrationScripts } from '@weft/runner';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import {
  type NangoCliDeployBody,
  type NangoCliPlanItem,
  nangoCliDeployBody,
  nangoCliDeployPlan,
  nangoCliDeployResponse,
} from '../contract/nango-cli.js';
import { serialize } from '../contract/shared.js';
import { parseRequest } from '../validate.js';

/**
 * The routes the Nango CLI (`nango deploy`, pinned 0.71.x) calls when `NANGO_HOSTPORT` points at
 * Weft: `POST /sync/deploy/confirmation` (the plan it prints) then `POST /sync/deploy`. Both
 * carry the CLI's CommonJS builds; Weft wraps them for its sandbox and stores them per
 * integration like `weft deploy` does. `nango dryrun` needs no route of its own: it runs the
 * script on the developer's machine and calls the Nango-compatible API (`/connection/:id`,
 * `/integrations/:key`, `/proxy/*`).
 */

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

    async function compile(body: NangoCliDeployBody) {
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
      const body = parseRequest(nangoCliDeployBody, request.body, 'body');
      const groups = await compile(body);
      const plan = {
        newSyncs: [] as NangoCliPlanItem[],
        updatedSyncs: [] as NangoCliPlanItem[],
        deletedSyncs: [] as NangoCliPlanItem[],
        newActions: [] as NangoCliPlanItem[],
        updatedActions: [] as NangoCliPlanItem[],
        deletedActions: [] as NangoCliPlanItem[],
        newOnEventScripts: [] as NangoCliPlanItem[],
        updatedOnEventScripts: [] as NangoCliPlanItem[],
        deletedOnEventScripts: [] as NangoCliPlanItem[],
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
        const sync = (name: string): NangoCliPlanItem => {
          const script = group.scripts.find((s) => s.kind === 'sync' && s.name === name);
          const autoStart = script?.definition.kind === 'sync' ? script.definition.autoStart : true;
          return { name, providerConfigKey: key, type: 'sync', connections, auto_start: autoStart };
        };
        const action = (name: string): NangoCliPlanItem => ({ name, providerConfigKey: key, type: 'action' });
        plan.newSyncs.push(...diff.addedSyncs.map(sync));
        plan.updatedSyncs.push(...diff.changedSyncs.map(sync));
        plan.deletedSyncs.push(...diff.removedSyncs.map((name) => ({ ...sync(name), auto_start: true })));
        plan.newActions.push(...diff.addedActions.map(action));
        plan.updatedActions.push(...diff.changedActions.map(action));
        plan.deletedActions.push(...diff.removedActions.map(action));
        plan.deletedModels.push(...diff.removedModels);
      }
      return serialize(nangoCliDeployPlan, plan);
    });

    // The CLI only calls this once the plan is confirmed (it asks itself for destructive plans),
    // so removals go through here without Weft's own `force`.
    app.post('/sync/deploy', { bodyLimit: 200 * 1024 * 1024 }, async (request) => {
      const body = parseRequest(nangoCliDeployBody, request.body, 'body');
      const groups = await compile(body);
      const deployed: Array<{
        name: string;
        version: string;
        providerConfigKey: string;
        type: CompiledScript['kind'];
      }> = [];
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
      return serialize(nangoCliDeployResponse, deployed);
    });
  };
