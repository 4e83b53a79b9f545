import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compileIntegration } from '@weft/runner';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const tmpRoot = new URL('../.tmp/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
let dir: string;

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(12);
  const connection = await connectApiKeyIntegration(h, 'demo', 'c1', api.url);
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  await h.runner.runSync({
    environmentId: h.environmentId,
    connection,
    syncName: 'items',
    mode: 'full',
    lastSyncDate: null,
  });
  await mkdir(tmpRoot, { recursive: true });
  dir = await mkdtemp(path.join(tmpRoot, 'generate-'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await api.stop();
  await h.close();
});

function diagnostics(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('weft generate', () => {
  it('writes types and a client that check consumers at compile time and work at run time', async () => {
    const out = path.join(dir, 'weft-client.ts');
    const run = spawnWeft(['generate', '--out', out], { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey });
    expect(await run.exited, run.stderr.join('\n')).toBe(0);
    expect(run.stdout.join('\n')).toContain('1 integration(s), 1 sync(s)');

    await writeFile(
      path.join(dir, 'good.ts'),
      `import { createWeftClient } from './weft-client.ts';
const client = createWeftClient({ baseUrl: 'http://x', secretKey: 'k' });
export async function use() {
  const page = await client.records('demo', 'c1', 'Item', { limit: 10 });
  const sizes: number[] = page.records.map((r) => r.size);
  const names: string[] = page.records.map((r) => r.name + r._nango_metadata.last_action);
  const item = await client.triggerAction('demo', 'c1', 'get-item', { id: 'item-1' });
  const n: number = item.size;
  return { sizes, names, n };
}
`,
    );
    await writeFile(
      path.join(dir, 'bad.ts'),
      `import { createWeftClient } from './weft-client.ts';
const client = createWeftClient({ baseUrl: 'http://x', secretKey: 'k' });
export async function use() {
  const page = await client.records('demo', 'c1', 'Item');
  const titles = page.records.map((r) => r.title);
  await client.triggerAction('demo', 'c1', 'get-item', { id: 1 });
  await client.records('demo', 'c1', 'Nope');
  return titles;
}
`,
    );
    expect(diagnostics(path.join(dir, 'good.ts'))).toEqual([]);
    const errors = diagnostics(path.join(dir, 'bad.ts')).join('\n');
    expect(errors).toContain("Property 'title' does not exist");
    expect(errors).toMatch(/Type 'number' is not assignable to type 'string'/);
    expect(errors).toContain('"Nope"');

    const generated = (await import(out)) as {
      createWeftClient: (o: { baseUrl: string; secretKey: string }) => {
        records: (k: string, c: string, m: string) => Promise<{ records: Array<{ id: string; size: number }> }>;
      };
      schemas: Record<string, Record<string, { required: string[] }>>;
    };
    const client = generated.createWeftClient({ baseUrl: h.url, secretKey: h.secretKey });
    const page = await client.records('demo', 'c1', 'Item');
    expect(page.records).toHaveLength(12);
    expect(generated.schemas.demo?.Item?.required).toEqual(['id', 'name', 'size']);
  });
});
