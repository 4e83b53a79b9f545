import type * as esbuild from 'esbuild';

/**
 * esbuild options every bundle that runs inside the isolate shares: one self-contained IIFE (the
 * isolate has no module loader), no Node built-ins (`platform: 'neutral'` with the ESM entry
 * fields Node would pick), ES2022 (what isolated-vm's V8 runs), output kept in memory. Kept in one
 * place so the script bundle, the sandbox's zod and the CommonJS runtime cannot drift apart: a
 * difference would show up as a module resolving to another file in one of them.
 */
export const ISOLATE_BUNDLE_OPTIONS = {
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['import', 'default'],
  target: 'es2022',
  logLevel: 'silent',
} as const satisfies esbuild.BuildOptions;
