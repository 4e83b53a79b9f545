import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { spawnWeft } from '../helpers/weft-process.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const tmpRoot = new URL('../.tmp/', import.meta.url).pathname;
// A cold compile on a busy 2-core machine takes tens of seconds; these are deadlines, not pacing.
const COMPILE_DEADLINE_MS = 240_000;

let h: ApiHarness;
let work: string;

beforeAll(async () => {
  h = await startApi();
  await h.api('/integrations', { method: 'POST', json: { unique_key: 'demo', provider: 'github-pat' } });
  await mkdir(tmpRoot, { recursive: true });
  work = await mkdtemp(path.join(tmpRoot, 'dev-'));
  await cp(path.join(fixtures, 'demo'), path.join(work, 'demo'), { recursive: true });
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await h.close();
});

describe('weft dev', () => {
  it('deploys on start, prints a type error as file:line:col on save, redeploys the fix, stops on Ctrl-C', async () => {
    const file = path.join(work, 'demo', 'syncs', 'items.ts');
    const original = await readFile(file, 'utf8');
    const versionLine = original.split('\n').findIndex((line) => line.includes("version: '1.0.0'")) + 1;
    // Through the launcher, as `npx weft dev` runs it.
    const dev = spawnWeft(
      ['dev', path.join(work, 'demo')],
      { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey },
      { launcher: true },
    );
    try {
      await dev.waitForLine(/^Deployed demo as version 1$/, COMPILE_DEADLINE_MS);
      await dev.waitForLine(/^Watching /, COMPILE_DEADLINE_MS);

      await writeFile(file, original.replace("version: '1.0.0'", 'version: 42'));
      const problem = await dev.waitForLine(
        /^(\S+items\.ts):(\d+):(\d+): Type 'number' is not assignable to type 'string'/,
        COMPILE_DEADLINE_MS,
      );
      expect(problem[1]).toBe(path.relative(path.resolve(fixtures, '../../..'), file));
      expect(Number(problem[2])).toBe(versionLine);
      expect(dev.stdout).toContain('demo: compile failed');

      await writeFile(file, original.replace("version: '1.0.0'", "version: '1.0.1'"));
      await dev.waitForLine(/^Deployed demo as version 2$/, COMPILE_DEADLINE_MS);
      const config = await h.get('/scripts/config?provider_config_key=demo');
      const items = config.data.find((s: Body) => s.name === 'items');
      expect(items?.version).toBe(2);
      expect(items?.definition.version).toBe('1.0.1');
      // The broken save deployed nothing: versions 1 and 2 only.
      expect(dev.stdout.filter((line) => line.startsWith('Deployed demo as version'))).toHaveLength(2);
    } finally {
      dev.signal('SIGINT');
    }
    expect(await dev.exited).toBe(0);
    expect(dev.stdout).toContain('Stopped watching');
  }, 900_000);
});

describe('weft deploy of a folder where one integration does not exist yet', () => {
  it('says how to create it before compiling, deploys the others and sums up', async () => {
    const folder = await mkdtemp(path.join(tmpRoot, 'deploy-all-'));
    try {
      await cp(path.join(fixtures, 'demo'), path.join(folder, 'demo'), { recursive: true });
      await cp(path.join(fixtures, 'demo'), path.join(folder, 'not-created'), { recursive: true });
      const run = spawnWeft(['deploy', folder], { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey });
      expect(await run.exited).toBe(1);
      const stdout = run.stdout.join('\n');
      expect(stdout).toContain('not-created: skipped, Weft has no integration "not-created"');
      expect(stdout).toContain(
        '  weft integration create not-created not-created --client-id <id> --client-secret <secret>',
      );
      // Said before minutes of compiling, not after.
      expect(stdout.indexOf('not-created: skipped')).toBeLessThan(stdout.indexOf('Compiling demo'));
      expect(stdout).not.toContain('Compiling not-created');
      expect(stdout).toMatch(/^Deployed demo as version \d+$/m);
      expect(run.stdout.at(-1)).toBe('Deployed 1 of 2 integration(s); no integration in Weft for not-created');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('the launcher (bin/weft.js)', () => {
  it('prints help and the version from the precompiled entry', async () => {
    const help = spawnWeft(['--help'], {}, { launcher: true });
    expect(await help.exited).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/dev \[options\] \[path\]/);
    const version = spawnWeft(['--version'], {}, { launcher: true });
    expect(await version.exited).toBe(0);
    expect(version.stdout[0]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs an API command without a secret key to a one-line error', async () => {
    const status = spawnWeft(['sync', 'status', 'demo'], {}, { launcher: true });
    expect(await status.exited).toBe(1);
    expect(status.stderr.join('\n')).toMatch(/^Error WEFT_CONFIG_INVALID: No secret key/);
  });
});
