import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compileIntegration } from '@weft/runner';
import { afterAll, describe, expect, it } from 'vitest';

// Under the repository so `zod` resolves from node_modules like a real project.
const root = new URL('../.tmp/', import.meta.url).pathname;
const dirs: string[] = [];

async function integration(files: Record<string, string>): Promise<string> {
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, 'compile-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const good = `import { createSync } from 'nango';
import * as z from 'zod';
export default createSync({
  description: 'x',
  frequency: 'every hour',
  models: { Row: z.object({ id: z.string() }) },
  exec: async (nango) => {
    await nango.batchSave([{ id: '1' }], 'Row');
  },
});
`;

async function problems(files: Record<string, string>): Promise<string[]> {
  const error = await compileIntegration(await integration(files)).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'WEFT_RUNNER_COMPILE_FAILED' });
  return (error as { details: { problems: string[] } }).details.problems;
}

describe('compile errors name the file and line', () => {
  it('accepts a correct script', async () => {
    const scripts = await compileIntegration(await integration({ 'syncs/rows.ts': good }));
    expect(scripts.map((s) => s.name)).toEqual(['rows']);
  });

  it('syntax error', async () => {
    const list = await problems({ 'syncs/rows.ts': good.replace("description: 'x',", "description: 'x',,") });
    expect(list[0]).toMatch(/^syncs\/rows\.ts:4:\d+: /);
  });

  it('type error (wrong model name and record shape)', async () => {
    const list = await problems({
      'syncs/rows.ts': good.replace(
        "await nango.batchSave([{ id: '1' }], 'Row');",
        "await nango.batchSave([{ id: 1 }], 'Rows');",
      ),
    });
    expect(list[0]).toMatch(/^syncs\/rows\.ts:8:\d+: (Type|Argument)/);
  });

  it('disallowed imports: node built-ins, packages, files outside the integration', async () => {
    const fsImport = await problems({ 'syncs/rows.ts': `import { readFileSync } from 'fs';\n${good}` });
    expect(fsImport[0]).toMatch(/^syncs\/rows\.ts:1:\d+: import "fs" is not allowed/);
    const pkg = await problems({ 'syncs/rows.ts': `import axios from 'axios';\nvoid axios;\n${good}` });
    expect(pkg[0]).toMatch(/import "axios" is not allowed; scripts may import nango, weft, zod/);
    const outside = await problems({ 'syncs/rows.ts': `import '../../../package.json';\n${good}` });
    expect(outside[0]).toMatch(/leaves the integration directory/);
  });

  it('missing default export', async () => {
    const list = await problems({
      'syncs/rows.ts': good.replace('export default createSync', 'export const sync = createSync'),
    });
    expect(list[0]).toMatch(/^syncs\/rows\.ts:1:1: the script has no default export/);
  });

  it('a model zod cannot express as JSON Schema', async () => {
    const list = await problems({
      'syncs/rows.ts': good
        .replace(
          'models: { Row: z.object({ id: z.string() }) }',
          'models: { Row: z.object({ id: z.string(), at: z.date() }) }',
        )
        .replace("[{ id: '1' }]", "[{ id: '1', at: new Date() }]"),
    });
    expect(list[0]).toMatch(/^syncs\/rows\.ts:1:1: model Row cannot be expressed as JSON Schema/);
  });

  it('a frequency Weft cannot schedule', async () => {
    const list = await problems({ 'syncs/rows.ts': good.replace("'every hour'", "'whenever'") });
    expect(list[0]).toMatch(/frequency "whenever" is not understood/);
  });
});
