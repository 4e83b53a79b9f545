import ivm from 'isolated-vm';
import { wrapCommonJsBundle } from './commonjs-bundle.js';
import type { CompiledScript, CompileProblem } from './compile.js';
import { compileFailed } from './compile.js';
import { describeArtifact } from './describe-script.js';
import { bundleUsesSharedZod, evaluateSandboxZod } from './sandbox-zod.js';

/**
 * What `nango deploy` (the pinned Nango CLI, 0.71.x) sends for a project of `createSync` /
 * `createAction` / `createOnEvent` scripts (`POST /sync/deploy/confirmation`, then
 * `POST /sync/deploy`): one flow per sync or action with its CommonJS build (`fileBody.js`) and
 * TypeScript source (`fileBody.ts`), plus the on-event scripts per integration. The server
 * validates the body with zod; this is the shape it hands over.
 */
export interface NangoCliFlow {
  type: 'sync' | 'action';
  syncName: string;
  providerConfigKey: string;
  fileBody: { js: string; ts: string };
}

export interface NangoCliOnEventScript {
  name: string;
  event: 'post-connection-creation' | 'pre-connection-deletion' | 'validate-connection';
  fileBody: { js: string; ts: string };
}

export interface NangoCliDeployment {
  flowConfigs: NangoCliFlow[];
  onEventScriptsByProvider?: Array<{ providerConfigKey: string; scripts: NangoCliOnEventScript[] }>;
}

/**
 * An event script from the CLI, converted like the syncs and actions. Its definition has the
 * shape `describe-script.ts` gives on-event scripts (`kind: 'on-event'`), so it is stored the way
 * Weft's own compiler stores them (`deployed_scripts.kind = 'on-event'`).
 */
export interface CliOnEventScript extends Omit<CompiledScript, 'kind' | 'definition'> {
  kind: 'on-event';
  definition: {
    kind: 'on-event';
    legacy: false;
    description: string;
    version: string;
    event: NangoCliOnEventScript['event'];
  };
}

export interface NangoCliIntegrationScripts {
  providerConfigKey: string;
  scripts: CompiledScript[];
  onEventScripts: CliOnEventScript[];
}

/** `build/` names files `<key>_<kind>s_<name>.cjs`; source maps and traces name the .ts. */
const sourceFile = (providerConfigKey: string, folder: string, name: string) =>
  `${providerConfigKey}/${folder}/${name}.ts`;

/** Read an on-event script's description and version (and check it is one) in a throwaway isolate. */
async function describeOnEvent(bundle: string): Promise<{ type: unknown; description: string; version: string }> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    const context = await isolate.createContext();
    await context.global.set('globalThis', context.global.derefInto());
    if (bundleUsesSharedZod(bundle)) await evaluateSandboxZod(isolate, context);
    await context.eval(bundle, { filename: 'weft-script.js', timeout: 5_000 });
    const raw = (await context.eval(
      `(() => { const d = globalThis.__weft.module.default;
        if (!d || typeof d.exec !== 'function') throw new Error('the default export must be createOnEvent({ event, exec })');
        return JSON.stringify({ type: d.type, description: String(d.description || ''), version: String(d.version || '0.0.1') }); })()`,
      { timeout: 5_000, copy: true },
    )) as string;
    return JSON.parse(raw) as { type: unknown; description: string; version: string };
  } finally {
    isolate.dispose();
  }
}

/**
 * Turn a CLI deployment into Weft artifacts, grouped by integration: every CommonJS build is
 * wrapped for the sandbox and its definition read from the script itself (models → JSON Schema
 * through its own zod, exactly as for `weft deploy`), so a CLI-deployed script and a
 * Weft-compiled one are stored, scheduled and run the same way. All or nothing: any script that
 * does not load fails the whole deployment with file:line problems.
 */
export async function compileNangoCliDeployment(deployment: NangoCliDeployment): Promise<NangoCliIntegrationScripts[]> {
  const byKey = new Map<string, NangoCliIntegrationScripts>();
  const group = (key: string) => {
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { providerConfigKey: key, scripts: [], onEventScripts: [] };
      byKey.set(key, entry);
    }
    return entry;
  };
  const problems: CompileProblem[] = [];
  const noLegacy = new Map();
  for (const flow of deployment.flowConfigs) {
    const file = sourceFile(flow.providerConfigKey, `${flow.type}s`, flow.syncName);
    try {
      const wrapped = await wrapCommonJsBundle(flow.fileBody.js, file);
      const definition = await describeArtifact(wrapped.bundle, flow.type, flow.syncName, noLegacy);
      group(flow.providerConfigKey).scripts.push({
        name: flow.syncName,
        kind: flow.type,
        file,
        bundle: wrapped.bundle,
        sourceMap: wrapped.sourceMap,
        sources: { [file]: flow.fileBody.ts },
        definition,
      });
    } catch (error) {
      problems.push({ file, line: 1, column: 1, message: (error as Error).message });
    }
  }
  for (const integration of deployment.onEventScriptsByProvider ?? []) {
    for (const script of integration.scripts) {
      const file = sourceFile(integration.providerConfigKey, 'on-events', script.name);
      try {
        const wrapped = await wrapCommonJsBundle(script.fileBody.js, file);
        const described = await describeOnEvent(wrapped.bundle);
        if (described.type !== undefined && described.type !== 'onEvent')
          throw new Error('the default export must be createOnEvent({ event, exec })');
        group(integration.providerConfigKey).onEventScripts.push({
          name: script.name,
          kind: 'on-event',
          file,
          bundle: wrapped.bundle,
          sourceMap: wrapped.sourceMap,
          sources: { [file]: script.fileBody.ts },
          definition: {
            kind: 'on-event',
            legacy: false,
            description: described.description,
            version: described.version,
            event: script.event,
          },
        });
      } catch (error) {
        problems.push({ file, line: 1, column: 1, message: (error as Error).message });
      }
    }
  }
  if (problems.length > 0) throw compileFailed(problems);
  return [...byKey.values()];
}
