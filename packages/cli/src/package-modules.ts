/**
 * Weft's packages as the CLI loads them: on demand, never as static imports (the compiler, zod and
 * the rest cost seconds to load, and `weft --help` or an API command needs none of them).
 *
 * Under tsx (`npm start`, tests) these are plain dynamic imports. In the precompiled CLI
 * (`bin/weft.js` runs `dist/main.js`, built from main.ts by `bin/precompile.js`) the build leaves
 * these imports pointing at the TypeScript sources, so tsx is registered first, once — only
 * commands that need the packages pay for it.
 *
 * Apart from command-modules.ts (the command implementations) so that a module a command
 * implementation itself imports (api-client.ts, …) can load a package without importing the list
 * of commands, which would make an import cycle.
 */

/** Set by the precompiled build (esbuild `define`); undeclared when running from the sources. */
declare const WEFT_PRECOMPILED: boolean | undefined;

let sourcesReady: Promise<void> | undefined;

/** Run `load` (a dynamic import of TypeScript sources) once tsx is registered where it is needed. */
export async function fromSources<T>(load: () => Promise<T>): Promise<T> {
  if (typeof WEFT_PRECOMPILED !== 'undefined') {
    sourcesReady ??= import('tsx/esm/api').then(({ register }) => {
      register();
    });
    await sourcesReady;
  }
  return load();
}

export const packageModules = {
  core: () => fromSources(() => import('@weft/core')),
  runner: () => fromSources(() => import('@weft/runner')),
};
