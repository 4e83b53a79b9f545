import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { scriptDefinitionSchema } from './definition-schema.js';
import { describeArtifact, type LegacyDefinitions, type ScriptDefinition, type ScriptKind } from './describe-script.js';
import { runnerErrors } from './errors.js';
import { ISOLATE_BUNDLE_OPTIONS } from './isolate-bundle-options.js';
import { legacyDefinitions, writeLegacyModelsFile } from './legacy-yaml.js';
import { sharedZodPlugin } from './sandbox-zod.js';
import { typeCheck } from './type-check.js';

export interface CompiledScript {
  name: string;
  kind: ScriptKind;
  /** Source file, relative to the integration directory. */
  file: string;
  /** IIFE bundle run in the sandbox (script + the SDK + zod). */
  bundle: string;
  sourceMap: string;
  /** Original sources by path, kept so error traces can show the user's code. */
  sources: Record<string, string>;
  definition: ScriptDefinition;
}

export interface CompileOptions {
  /** Extra bare imports allowed besides nango, weft and zod (per deployment). */
  allowedImports?: string[];
  /** Skip the TypeScript check (dryrun of a known-good script, benches). @default false */
  skipTypeCheck?: boolean;
}

export interface CompileProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

const sdkEntry = fileURLToPath(new URL('../../sdk/src/index.ts', import.meta.url));
const BUILTIN_ALLOWED = ['nango', 'weft', 'zod'];
/** Node modules scripts may import, served from the sandbox's globals (sandbox-globals.ts, sandbox-crypto.ts). */
const NODE_MODULE_SHIMS: Record<string, string> = {
  url: 'export const URL = globalThis.URL; export const URLSearchParams = globalThis.URLSearchParams; export default { URL, URLSearchParams };',
  buffer: 'export const Buffer = globalThis.Buffer; export default { Buffer };',
  crypto: [
    "const c = globalThis.crypto[Symbol.for('weft.node-crypto')];",
    'export const { createHash, createHmac, randomBytes, randomUUID, getRandomValues, timingSafeEqual } = c;',
    'export default c;',
  ].join(' '),
};

export function compileFailed(problems: CompileProblem[]): Error {
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`);
  return runnerErrors.create('WEFT_RUNNER_COMPILE_FAILED', { problems: lines.join('; ') }, { problems: lines });
}

/**
 * syncs/*.ts, actions/*.ts and on-events/*.ts of one integration directory (Nango's layout;
 * `post-connection-scripts/` is the older name of legacy post-connection-creation scripts).
 */
export async function listScripts(
  integrationDir: string,
): Promise<Array<{ kind: ScriptKind; name: string; file: string }>> {
  const out: Array<{ kind: ScriptKind; name: string; file: string }> = [];
  for (const [folder, kind] of [
    ['syncs', 'sync'],
    ['actions', 'action'],
    ['on-events', 'on-event'],
    ['post-connection-scripts', 'on-event'],
  ] as const) {
    const dir = path.join(integrationDir, folder);
    if (!existsSync(dir)) continue;
    for (const entry of (await readdir(dir)).sort()) {
      if (!entry.endsWith('.ts') || entry.endsWith('.test.ts') || entry.endsWith('.d.ts')) continue;
      out.push({ kind, name: entry.replace(/\.ts$/, ''), file: path.join(folder, entry) });
    }
  }
  return out;
}

function importGuard(integrationDir: string, allowed: Set<string>, modelsFile: string | undefined): esbuild.Plugin {
  // The models.ts generated beside a project-level nango.yaml (`../../models`) is the one file
  // outside the integration a script may import.
  const generatedModels = modelsFile
    ? new Set([modelsFile, modelsFile.replace(/\.ts$/, ''), modelsFile.replace(/\.ts$/, '.js')])
    : new Set<string>();
  return {
    name: 'weft-import-allow-list',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        // Inside packages (zod, the SDK) and Weft's own entry, resolution is not the script's doing.
        const internal =
          args.importer.includes(`${path.sep}node_modules${path.sep}`) ||
          args.importer.startsWith(path.dirname(sdkEntry)) ||
          args.importer.endsWith('__weft_entry.js') ||
          args.importer === '<stdin>';
        if (args.path === 'nango' || args.path === 'weft') return { path: sdkEntry };
        // Node's url and buffer modules, as Nango's runner offers them: the sandbox's own globals.
        if (!internal && Object.hasOwn(NODE_MODULE_SHIMS, args.path.replace(/^node:/, '')))
          return { path: args.path.replace(/^node:/, ''), namespace: 'weft-node-shim' };
        if (args.path.startsWith('.') || path.isAbsolute(args.path)) {
          if (internal) return undefined;
          const target = path.resolve(args.resolveDir, args.path);
          // Scripts may import their integration's files (models, helpers), nothing outside it.
          if (!target.startsWith(path.resolve(integrationDir) + path.sep) && !generatedModels.has(target)) {
            return { errors: [{ text: `import ${JSON.stringify(args.path)} leaves the integration directory` }] };
          }
          return undefined;
        }
        if (internal) return undefined;
        const bare = args.path.startsWith('@')
          ? args.path.split('/').slice(0, 2).join('/')
          : (args.path.split('/')[0] ?? '');
        if (!allowed.has(bare)) {
          return {
            errors: [
              {
                text: `import ${JSON.stringify(args.path)} is not allowed; scripts may import ${[...allowed].join(', ')} and files of their integration`,
              },
            ],
          };
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'weft-node-shim' }, (args) => ({
        contents: NODE_MODULE_SHIMS[args.path] ?? '',
        loader: 'js',
      }));
    },
  };
}

interface Bundle {
  code: string;
  map: string;
  sources: Record<string, string>;
}

/**
 * The last bundle of each script with the files it was built from (mtime and size): a script
 * none of whose inputs changed is not bundled again (`weft dev` recompiles on every save, most
 * scripts of the integration unchanged).
 */
const bundles = new Map<string, { inputs: Array<{ file: string; mtimeMs: number; size: number }>; bundle: Bundle }>();
const MAX_BUNDLES = 64;

async function unchangedSince(inputs: Array<{ file: string; mtimeMs: number; size: number }>): Promise<boolean> {
  const now = await Promise.all(inputs.map((input) => stat(input.file).catch(() => undefined)));
  return inputs.every((input, i) => now[i]?.mtimeMs === input.mtimeMs && now[i]?.size === input.size);
}

async function bundle(
  integrationDir: string,
  file: string,
  allowed: Set<string>,
  modelsFile: string | undefined,
): Promise<Bundle> {
  const key = JSON.stringify([integrationDir, file, [...allowed].sort(), modelsFile ?? null]);
  const previous = bundles.get(key);
  if (previous && (await unchangedSince(previous.inputs))) return previous.bundle;
  const built = await bundleNow(integrationDir, file, allowed, modelsFile);
  bundles.delete(key);
  bundles.set(key, built);
  for (const stale of [...bundles.keys()].slice(0, Math.max(0, bundles.size - MAX_BUNDLES))) bundles.delete(stale);
  return built.bundle;
}

async function bundleNow(
  integrationDir: string,
  file: string,
  allowed: Set<string>,
  modelsFile: string | undefined,
): Promise<{ inputs: Array<{ file: string; mtimeMs: number; size: number }>; bundle: Bundle }> {
  const absolute = path.resolve(integrationDir, file);
  const entry = `
import * as scriptModule from ${JSON.stringify(absolute)};
import * as z from 'zod';
globalThis.__weft = { module: scriptModule, z };
`;
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      stdin: { contents: entry, resolveDir: integrationDir, sourcefile: '__weft_entry.js', loader: 'js' },
      ...ISOLATE_BUNDLE_OPTIONS,
      absWorkingDir: integrationDir,
      metafile: true,
      sourcemap: 'external',
      // At the integration root, so source-map paths read syncs/x.ts, models.ts, …
      outfile: path.join(integrationDir, '__weft_bundle.js'),
      // zod comes from the isolate (sandbox-zod.ts): not evaluated again in every run's bundle.
      plugins: [sharedZodPlugin(), importGuard(integrationDir, allowed, modelsFile)],
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    throw compileFailed(
      failure.errors.map((e) => ({
        file: e.location ? path.relative(integrationDir, path.resolve(integrationDir, e.location.file)) : file,
        line: e.location?.line ?? 1,
        column: (e.location?.column ?? 0) + 1,
        message: e.text,
      })),
    );
  }
  const outputs = result.outputFiles ?? [];
  const code = outputs.find((o) => o.path.endsWith('.js'))?.text ?? '';
  const map = outputs.find((o) => o.path.endsWith('.map'))?.text ?? '{}';
  const sources: Record<string, string> = {};
  // Stat before reading: a file saved during this build then counts as changed next time.
  const inputs = await Promise.all(
    Object.keys(result.metafile.inputs)
      .filter((input) => !input.startsWith('<stdin>') && !input.includes('__weft_entry') && !input.includes(':'))
      .map(async (input) => {
        const absoluteInput = path.resolve(integrationDir, input);
        const { mtimeMs, size } = await stat(absoluteInput);
        return { file: absoluteInput, mtimeMs, size };
      }),
  );
  for (const input of Object.keys(result.metafile.inputs)) {
    if (
      input.includes('node_modules') ||
      input.startsWith('<stdin>') ||
      input.includes('__weft_entry') ||
      input.startsWith('weft-node-shim:') ||
      input.startsWith('weft-shared-zod:')
    )
      continue;
    const abs = path.resolve(integrationDir, input);
    if (abs.startsWith(path.resolve(integrationDir)) || abs === modelsFile)
      sources[path.relative(integrationDir, abs)] = await readFile(abs, 'utf8');
  }
  return { inputs, bundle: { code, map, sources } };
}

/**
 * Definitions already extracted, by what determines them (the bundle, the expected kind and name,
 * the nango.yaml entry): loading a bundle in a fresh isolate is the largest cost of recompiling an
 * unchanged integration (`weft dev` on every save, tests compiling the same fixtures).
 */
const describedBundles = new Map<string, unknown>();
const MAX_DESCRIBED_BUNDLES = 64;

async function describeOnce(code: string, kind: ScriptKind, name: string, legacy: LegacyDefinitions): Promise<unknown> {
  const key = createHash('sha256')
    .update(code)
    .update(`\0${kind}\0${name}\0${JSON.stringify(legacy.get(`${kind}:${name}`) ?? null)}`)
    .digest('hex');
  if (describedBundles.has(key)) return structuredClone(describedBundles.get(key));
  const described = await describeArtifact(code, kind, name, legacy);
  describedBundles.set(key, structuredClone(described));
  for (const stale of [...describedBundles.keys()].slice(0, Math.max(0, describedBundles.size - MAX_DESCRIBED_BUNDLES)))
    describedBundles.delete(stale);
  return described;
}

/**
 * Compile every script of an integration: type-check (strict), enforce the import allow-list,
 * bundle each script with esbuild into one artifact, and extract its definition (models as JSON
 * Schema, frequency, endpoints, input/output schemas) by loading it in a sandbox. Throws
 * WEFT_RUNNER_COMPILE_FAILED with file:line for every problem; returns nothing partial.
 */
export async function compileIntegration(directory: string, options: CompileOptions = {}): Promise<CompiledScript[]> {
  // esbuild needs an absolute working directory; callers may pass one relative to the cwd.
  const integrationDir = path.resolve(directory);
  const scripts = await listScripts(integrationDir);
  if (scripts.length === 0) {
    throw compileFailed([
      { file: integrationDir, line: 1, column: 1, message: 'no scripts found (expected syncs/*.ts or actions/*.ts)' },
    ]);
  }
  const allowed = new Set([...BUILTIN_ALLOWED, ...(options.allowedImports ?? [])]);
  const legacy = await legacyDefinitions(integrationDir);
  const modelsFile = await writeLegacyModelsFile(integrationDir);
  const bundles = await Promise.all(
    scripts.map(async (s) => ({ ...s, ...(await bundle(integrationDir, s.file, allowed, modelsFile)) })),
  );
  if (!options.skipTypeCheck) {
    const problems = typeCheck(
      integrationDir,
      scripts.map((s) => s.file),
      sdkEntry,
    );
    if (problems.length > 0) throw compileFailed(problems);
  }
  const compiled: CompiledScript[] = [];
  const problems: CompileProblem[] = [];
  for (const script of bundles) {
    try {
      // The same schema POST /deploy checks a client's definition with.
      const definition = scriptDefinitionSchema.parse(
        await describeOnce(script.code, script.kind, script.name, legacy),
      );
      compiled.push({
        name: script.name,
        kind: definition.kind,
        file: script.file,
        bundle: script.code,
        sourceMap: script.map,
        sources: script.sources,
        definition,
      });
    } catch (error) {
      problems.push({ file: script.file, line: 1, column: 1, message: (error as Error).message });
    }
  }
  if (problems.length > 0) throw compileFailed(problems);
  return compiled;
}
