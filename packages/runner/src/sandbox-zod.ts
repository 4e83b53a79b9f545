import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type ivm from 'isolated-vm';
import { ISOLATE_BUNDLE_OPTIONS } from './isolate-bundle-options.js';

/**
 * zod, evaluated once per isolate before the script instead of inside every script bundle.
 *
 * Evaluating the bundled zod was most of an isolate's start (≈8 of 14 ms here: its module code
 * builds hundreds of classes and schemas). Bundles compiled by Weft now import zod from a global
 * the sandbox fills in first (`SHARED_ZOD_GLOBAL`), so a pre-warmed isolate (isolate-pool.ts) has
 * already paid for it off the critical path, and the bundle itself shrinks from ≈800 KB to the
 * script's own code. Each isolate still evaluates its OWN zod: nothing is shared between runs.
 *
 * Bundles that carry their own zod (deployed before this, or resolving a different zod from
 * the integration's node_modules) keep working unchanged: they never read the global.
 */
export const SHARED_ZOD_GLOBAL = '__weft_zod';

const runnerDir = fileURLToPath(new URL('.', import.meta.url));
const NAMESPACE = 'weft-shared-zod';
/** The specifiers that are the root module of zod 4 ('zod/v4' is the same module as 'zod'). */
const ROOT_SPECIFIERS = new Set(['zod', 'zod/v4']);

let source: Promise<string> | undefined;
let exportNames: Promise<string[]> | undefined;
let sharedPath: Promise<string | undefined> | undefined;

/** zod as an IIFE that leaves its root namespace on `globalThis.__weft_zod`; built once per process. */
export function sandboxZodSource(): Promise<string> {
  source ??= esbuild
    .build({
      ...ISOLATE_BUNDLE_OPTIONS,
      stdin: {
        contents: `import * as z from 'zod';\nglobalThis.${SHARED_ZOD_GLOBAL} = z;\n`,
        resolveDir: runnerDir,
        sourcefile: '__weft_zod.js',
        loader: 'js',
      },
    })
    .then((result) => result.outputFiles[0]?.text ?? '')
    .catch((error: unknown) => {
      source = undefined;
      throw error;
    });
  return source;
}

/** True when a bundle expects the sandbox to provide zod (it was compiled with `sharedZodPlugin`). */
export function bundleUsesSharedZod(bundle: string): boolean {
  return bundle.includes(`globalThis.${SHARED_ZOD_GLOBAL}`);
}

// One code cache for the zod IIFE: every isolate after the first skips parsing it.
let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

/**
 * Builds and checks one schema of each common kind, then drops it. V8 compiles a function on its
 * first call, and zod's first `z.object(...)` and first parse cost ≈3 ms and ≈1.3 ms of that here;
 * a pre-warmed isolate pays it before a run is waiting. Leaves nothing behind but compiled code.
 */
const EXERCISE = String.raw`(() => {
  const z = globalThis.${SHARED_ZOD_GLOBAL};
  const item = z.object({ id: z.string(), n: z.number().int().optional(), at: z.iso.datetime().nullable() });
  const schema = z.object({
    id: z.string().min(1), title: z.string().optional(), size: z.number(), ok: z.boolean().nullable(),
    kind: z.enum(['a', 'b']), tag: z.literal('x').or(z.literal('y')), when: z.date().optional(),
    value: z.union([z.string(), z.number()]), extra: z.record(z.string(), z.unknown()).optional(),
    items: z.array(item), any: z.any(),
  }).passthrough();
  const good = { id: 'a', size: 1, ok: null, kind: 'a', tag: 'x', value: 1, items: [{ id: 'b', at: null }], any: 0 };
  schema.safeParse(good);
  schema.safeParse({ ...good, id: 1, items: [{}] });
  schema.parse(good);
})();`;

/**
 * Evaluate zod in `context` (the sandbox globals should already be installed); `exercise` also
 * warms its common paths (only for isolates prepared ahead of a run).
 */
export async function evaluateSandboxZod(isolate: ivm.Isolate, context: ivm.Context, exercise = false): Promise<void> {
  const code = await sandboxZodSource();
  const script = await isolate.compileScript(code, {
    filename: 'weft-zod.js',
    ...(cachedData ? { cachedData } : { produceCachedData: true }),
  });
  const produced = (script as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
  if (!cachedData && produced) cachedData = produced;
  await script.run(context);
  script.release();
  if (exercise) await context.eval(EXERCISE, { filename: 'weft-zod-warm.js' });
}

/** The resolved file of zod as the sandbox's copy is built from (Weft's own dependency). */
function sharedZodPath(build: esbuild.PluginBuild): Promise<string | undefined> {
  sharedPath ??= build
    .resolve('zod', { kind: 'import-statement', resolveDir: runnerDir, pluginData: { [NAMESPACE]: true } })
    .then((r) => (r.errors.length === 0 ? r.path : undefined));
  return sharedPath;
}

/** The names zod's root module exports, so the stand-in module can offer each as a named import. */
function zodExportNames(): Promise<string[]> {
  exportNames ??= import('zod').then((z) => Object.keys(z));
  return exportNames;
}

/**
 * esbuild plugin: `import … from 'zod'` becomes a small module reading the isolate's own zod
 * from `globalThis.__weft_zod`, when 'zod' resolves to the same file as Weft's zod (the one the
 * sandbox evaluates). A script whose integration ships another zod keeps bundling that one.
 * Register it before the import allow-list: zod is always allowed.
 */
export function sharedZodPlugin(): esbuild.Plugin {
  return {
    name: NAMESPACE,
    setup(build) {
      build.onResolve({ filter: /^zod(\/v4)?$/ }, async (args) => {
        if (!ROOT_SPECIFIERS.has(args.path) || (args.pluginData as Record<string, unknown> | undefined)?.[NAMESPACE])
          return undefined;
        const [resolved, shared] = await Promise.all([
          build.resolve(args.path, {
            kind: args.kind,
            resolveDir: args.resolveDir,
            importer: args.importer,
            pluginData: { [NAMESPACE]: true },
          }),
          sharedZodPath(build),
        ]);
        if (resolved.errors.length > 0 || shared === undefined || resolved.path !== shared) return undefined;
        return { path: 'zod', namespace: NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, async () => {
        const names = await zodExportNames();
        // `export { zN as name }` accepts reserved words (zod exports `enum`, `null`, `default`…).
        const lines = [`const z = globalThis.${SHARED_ZOD_GLOBAL};`];
        names.forEach((name, i) => {
          lines.push(`const z${i} = z[${JSON.stringify(name)}];`);
        });
        lines.push(`export { ${names.map((name, i) => `z${i} as ${name}`).join(', ')} };`);
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}
