import { fromSources, packageModules } from './package-modules.js';

/**
 * The modules behind the CLI's commands, imported only when a command runs. Declaring the
 * commands (and printing `--help`) needs commander alone; the server, the compiler (TypeScript,
 * esbuild, isolated-vm) and the OpenTelemetry SDK cost seconds to load, so nothing here is a
 * static import (package-modules.ts says how the precompiled CLI loads them).
 *
 * Only main.ts and the command registrations import this list; the modules it names never do
 * (they use package-modules.ts), so no import cycle runs through it.
 */
export const commandModules = {
  ...packageModules,
  start: () => fromSources(() => import('./start.js')),
  worker: () => fromSources(() => import('./worker.js')),
  telemetry: () => fromSources(() => import('./telemetry.js')),
  env: () => fromSources(() => import('./env-command.js')),
  records: () => fromSources(() => import('./records-command.js')),
  dev: () => fromSources(() => import('./dev-command.js')),
};
