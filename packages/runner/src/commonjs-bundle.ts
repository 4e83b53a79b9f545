import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runnerErrors } from './errors.js';
import { ISOLATE_BUNDLE_OPTIONS } from './isolate-bundle-options.js';
import { sharedZodPlugin } from './sandbox-zod.js';

/**
 * The Nango CLI builds each script into one CommonJS file (`build/<key>_<kind>s_<name>.cjs`) with
 * every import bundled except packages, which stay `require(...)` calls — in practice `zod`, and
 * `nango` when a script imports a value from it. Nango runs those files in `node:vm` with a
 * `require` that hands out a few modules. Weft runs them in its own isolate instead: this module
 * turns such a file into an ordinary Weft artifact (the same IIFE shape `compileIntegration`
 * produces, setting `globalThis.__weft = { module, z }`), so it goes through the same sandbox,
 * limits, host bridge and definition extraction as a script Weft compiled itself.
 *
 * Inside the isolate, `require` knows `zod` and `nango` (Weft's SDK), plus `url` / `buffer` when
 * the sandbox's pure-JS `URL` / `Buffer` globals are installed, and throws for anything else
 * (Nango's `crypto`, `unzipper`, `soap`, `botbuilder` would hand a script Node objects; Weft's
 * sandbox has none to give).
 */

const sdkEntry = fileURLToPath(new URL('../../sdk/src/index.ts', import.meta.url));

/** Modules a CommonJS script may require inside the isolate. */
export const COMMONJS_MODULES = ['zod', 'nango'] as const;

let runtime: Promise<string> | undefined;

/**
 * zod and Weft's SDK as one IIFE, built once per process: it leaves them on
 * `globalThis.__weft_cjs_modules` for the wrapper below, which takes them off again.
 */
function commonJsRuntime(): Promise<string> {
  runtime ??= esbuild
    .build({
      ...ISOLATE_BUNDLE_OPTIONS,
      stdin: {
        contents: `import * as z from 'zod';\nimport * as nango from ${JSON.stringify(sdkEntry)};\nglobalThis.__weft_cjs_modules = { zod: z, nango };\n`,
        resolveDir: fileURLToPath(new URL('.', import.meta.url)),
        sourcefile: '__weft_cjs_runtime.js',
        loader: 'js',
      },
      // zod comes from the isolate (sandbox-zod.ts), as for bundles Weft compiles itself.
      plugins: [sharedZodPlugin()],
    })
    .then((result) => result.outputFiles[0]?.text ?? '')
    .catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
  return runtime;
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

interface SourceMapV3 {
  version: number;
  sources: string[];
  sourcesContent?: Array<string | null>;
  mappings: string;
  names?: string[];
}

/** The CLI's inline source map (its default `--sourcemap inline`), if there is one. */
function inlineSourceMap(code: string): SourceMapV3 | undefined {
  const match = INLINE_MAP.exec(code);
  if (!match?.[1]) return undefined;
  try {
    const map = JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapV3;
    return typeof map.mappings === 'string' && Array.isArray(map.sources) ? map : undefined;
  } catch {
    return undefined;
  }
}

export interface WrappedCommonJs {
  /** A Weft artifact: runs in `runInSandbox` and `describeArtifact` like a compiled script. */
  bundle: string;
  /** The CLI's source map shifted to the artifact's lines ('{}' when the CLI wrote none). */
  sourceMap: string;
}

/**
 * Wrap one Nango CLI CommonJS build so Weft's sandbox can run it. `file` names the script in
 * errors. Throws WEFT_RUNNER_COMPILE_FAILED when the file is not a CommonJS script at all.
 */
export async function wrapCommonJsBundle(code: string, file: string): Promise<WrappedCommonJs> {
  if (code.trim() === '' || !/\bmodule\.exports\b|\bexports\.\w+/.test(code)) {
    throw runnerErrors.create(
      'WEFT_RUNNER_COMPILE_FAILED',
      { problems: `${file}:1:1: not a CommonJS build of a Nango script (no module.exports)` },
      { problems: [`${file}:1:1: not a CommonJS build of a Nango script`] },
    );
  }
  const prefix = await commonJsRuntime();
  const map = inlineSourceMap(code);
  const body = map ? code.replace(INLINE_MAP, '\n') : code;
  // Everything before the script's first line; its line count shifts the source map.
  const head = `${prefix}
;(() => {
  const modules = globalThis.__weft_cjs_modules;
  delete globalThis.__weft_cjs_modules;
  const allowed = ${JSON.stringify(COMMONJS_MODULES)};
  const require = (name) => {
    if (name === 'zod' || name === 'zod/v4') return modules.zod;
    if (name === 'nango' || name === 'weft') return modules.nango;
    // Nango lets scripts require Node's url (and Buffer through buffer); they are served from the
    // sandbox's own pure-JS globals where those are installed, never from Node.
    const bare = String(name).replace(/^node:/, '');
    if (bare === 'url' && typeof globalThis.URL === 'function')
      return { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams, default: { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams } };
    if (bare === 'buffer' && typeof globalThis.Buffer === 'function') return { Buffer: globalThis.Buffer, default: { Buffer: globalThis.Buffer } };
    throw new Error("Cannot find module '" + String(name) + "': inside Weft's sandbox a script may require " + allowed.join(', ') + ' only');
  };
  const module = { exports: {} };
  (function (exports, require, module) {
`;
  const tail = `
  })(module.exports, require, module);
  globalThis.__weft = { module: module.exports, z: modules.zod };
})();
`;
  const offset = head.split('\n').length - 1;
  const sourceMap = map
    ? JSON.stringify({ ...map, mappings: ';'.repeat(offset) + map.mappings })
    : JSON.stringify({ version: 3, sources: [], names: [], mappings: '' });
  return { bundle: head + body + tail, sourceMap };
}
