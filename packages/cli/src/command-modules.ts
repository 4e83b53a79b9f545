/**
 * The modules behind the CLI's commands, imported only when a command runs. Declaring the
 * commands (and printing `--help`) needs commander alone; the server, the compiler (TypeScript,
 * esbuild, isolated-vm) and the OpenTelemetry SDK cost seconds to load, so nothing here is a
 * static import.
 *
 * Under tsx (`npm start`, tests) these are plain dynamic imports. In the precompiled CLI
 * (`bin/weft.js` runs `dist/main.js`, built from main.ts by `bin/precompile.js`) the build leaves
 * these imports pointing at the TypeScript sources, so tsx is registered first, once — only
 * commands that need the packages pay for it.
 */

/** Set by the precompiled build (esbuild `define`); undeclared when running from the sources. */
declare const WEFT_PRECOMPILED: boolean | undefined;

let sourcesReady: Promise<void> | undefined;

async function fromSources<T>(load: () => Promise<T>): Promise<T> {
  if (typeof WEFT_PRECOMPILED !== 'undefined') {
    sourcesReady ??= import('tsx/esm/api').then(({ register }) => {
      register();
    });
    await sourcesReady;
  }
  return load();
}

export const commandModules = {
  core: () => fromSources(() => import('@weft/core')),
  runner: () => fromSources(() => import('@weft/runner')),
  start: () => fromSources(() => import('./start.js')),
  worker: () => fromSources(() => import('./worker.js')),
  telemetry: () => fromSources(() => import('./telemetry.js')),
  env: () => fromSources(() => import('./env-command.js')),
  records: () => fromSources(() => import('./records-command.js')),
  dev: () => fromSources(() => import('./dev-command.js')),
};
