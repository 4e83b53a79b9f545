import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { wrapCommonJsBundle } from './commonjs-bundle.js';
import { compileNangoCliDeployment } from './nango-cli-deploy.js';
import { runInSandbox } from './sandbox.js';

// What `nango compile` writes to build/: esbuild, CommonJS, packages external (zod stays a
// require), the createSync wrapper replaced by a plain object with `type`, inline source map.
async function cliBuild(source: string, file = 'github/syncs/things.ts'): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: source, sourcefile: file, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'esnext',
    sourcemap: 'inline',
    external: ['zod', 'nango', 'fs', 'node:fs', 'child_process'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

const syncSource = (exec: string) => `
import * as z from 'zod';
const Thing = z.object({ id: z.string(), note: z.string() });
const sync = {
  type: 'sync',
  description: 'things',
  version: '2.0.0',
  frequency: 'every 2 hours',
  autoStart: true,
  syncType: 'full',
  models: { Thing },
  exec: async (nango: any) => {
${exec}
  },
};
export default sync;
`;

async function runSync(cjs: string, limits?: { wallMs?: number; cpuMs?: number }) {
  const wrapped = await wrapCommonJsBundle(cjs, 'github/syncs/things.ts');
  const calls: Array<{ op: string; args: unknown[] }> = [];
  const run = runInSandbox({
    name: 'things',
    kind: 'sync',
    bundle: wrapped.bundle,
    sourceMap: wrapped.sourceMap,
    env: { connectionId: 'c1', providerConfigKey: 'github', lastSyncDate: null },
    host: async (op, args) => {
      calls.push({ op, args });
      return null;
    },
    ...(limits ? { limits } : {}),
  });
  return { run, calls };
}

describe('Nango CLI CommonJS builds in the sandbox', () => {
  it('runs with require("zod") from inside the isolate, and nothing of Node around it', async () => {
    const cjs = await cliBuild(
      syncSource(`
    const probe = [typeof process, typeof globalThis.require, typeof globalThis.module, typeof globalThis.exports, typeof fetch].join(',');
    await nango.batchSave([Thing.parse({ id: 't1', note: probe })], 'Thing');`),
    );
    expect(cjs).toContain('require("zod")');
    const { run, calls } = await runSync(cjs);
    await run;
    expect(calls).toEqual([
      { op: 'batchSave', args: ['Thing', [{ id: 't1', note: 'undefined,undefined,undefined,undefined,undefined' }]] },
    ]);
  });

  it('require of anything but zod and nango fails inside the isolate, naming the module', async () => {
    const cjs = await cliBuild(`import * as fs from 'node:fs';\n${syncSource('    await nango.log(String(fs));')}`);
    const { run } = await runSync(cjs);
    await expect(run).rejects.toThrow(/Cannot find module 'node:fs'.*zod, nango only/);
  });

  it('the CPU limit stops a CommonJS script like any other', async () => {
    const cjs = await cliBuild(syncSource('    for (;;) {}'));
    const { run } = await runSync(cjs, { cpuMs: 200, wallMs: 30_000 });
    await expect(run).rejects.toMatchObject({ code: 'WEFT_RUNNER_TIMEOUT' });
  });

  it("maps a failure to the script's TypeScript line through the CLI's inline source map", async () => {
    const cjs = await cliBuild(syncSource('    const nothing: any = null;\n    nothing.boom();'));
    const { run } = await runSync(cjs);
    await expect(run).rejects.toMatchObject({
      details: { stack: expect.stringContaining('github/syncs/things.ts:14:13') },
    });
  });

  it('a CLI deployment becomes Weft artifacts whose definition is read from the script', async () => {
    const js = await cliBuild(syncSource('    await nango.log("x");'));
    const [group] = await compileNangoCliDeployment({
      flowConfigs: [{ type: 'sync', syncName: 'things', providerConfigKey: 'github', fileBody: { js, ts: 'source' } }],
    });
    expect(group?.providerConfigKey).toBe('github');
    expect(group?.scripts[0]).toMatchObject({
      name: 'things',
      kind: 'sync',
      file: 'github/syncs/things.ts',
      sources: { 'github/syncs/things.ts': 'source' },
      definition: {
        kind: 'sync',
        version: '2.0.0',
        frequency: 'every 2 hours',
        frequencySeconds: 7200,
        models: { Thing: { type: 'object', required: ['id', 'note'] } },
      },
    });
  });

  it('refuses what is not a CommonJS script build, and a sync sent as an action, with file:line problems', async () => {
    await expect(
      compileNangoCliDeployment({
        flowConfigs: [
          { type: 'sync', syncName: 'a', providerConfigKey: 'p', fileBody: { js: 'console.log(1)', ts: '' } },
          {
            type: 'action',
            syncName: 'b',
            providerConfigKey: 'p',
            fileBody: { js: await cliBuild(syncSource('')), ts: '' },
          },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'WEFT_RUNNER_COMPILE_FAILED',
      details: {
        problems: [
          expect.stringMatching(/^p\/syncs\/a\.ts:1:1: .*not a CommonJS build/),
          expect.stringMatching(/^p\/actions\/b\.ts:1:1: .*createAction/),
        ],
      },
    });
  });
});
