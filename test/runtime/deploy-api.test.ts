import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration } from '../helpers/api-key-connection.js';
import { spawnWeft } from '../helpers/weft-process.js';
import type { Upstream } from '../proxy/upstream.js';
import { startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const tmpRoot = new URL('../.tmp/', import.meta.url).pathname;

let h: ApiHarness;
let api: Upstream;
let work: string;

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(30);
  await connectApiKeyIntegration(h, 'demo', 'c1', api.url);
  await mkdir(tmpRoot, { recursive: true });
  work = await mkdtemp(path.join(tmpRoot, 'deploy-'));
  await cp(path.join(fixtures, 'demo'), path.join(work, 'demo'), { recursive: true });
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await api.stop();
  await h.close();
});

async function weft(args: string[]) {
  const run = spawnWeft(args, { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey });
  const code = await run.exited;
  return { code, stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') };
}

describe('weft deploy / dryrun and the action API', () => {
  it('deploys with a diff, then serves scripts config', async () => {
    const deployed = await weft(['deploy', work]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain('Deployed demo as version 1');
    // Not a terminal: progress comes as plain lines.
    expect(deployed.stdout).toMatch(
      /^Compiling demo…\nCompiling demo: done in [\d.]+ m?s\nDeploying demo…\nDeploying demo: done in/m,
    );
    expect(deployed.stdout).toContain('+ sync items');
    expect(deployed.stdout).toContain('+ action get-item');
    const config = await h.get('/scripts/config?provider_config_key=demo');
    expect(config.data.map((s: Body) => `${s.type}:${s.name}`).sort()).toEqual(['action:get-item', 'sync:items']);
  });

  it('triggers an action synchronously and asynchronously (Nango shape)', async () => {
    const headers = { 'Connection-Id': 'c1', 'Provider-Config-Key': 'demo' };
    const sync = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: { action_name: 'get-item', input: { id: 'item-3' } },
    });
    expect(sync.status).toBe(200);
    expect(await sync.json()).toEqual({ id: 'item-3', name: 'Item 3', size: 30 });
    const bad = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: { action_name: 'get-item', input: { id: '' } },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).error.code).toBe('WEFT_RUNNER_INVALID_INPUT');
    const queued = await h.api('/action/trigger', {
      method: 'POST',
      headers: { ...headers, 'X-Async': 'true' },
      json: { action_name: 'get-item', input: { id: 'item-4' } },
    });
    expect(queued.status).toBe(202);
    const { statusUrl } = (await queued.json()) as { statusUrl: string };
    // Nango's answer: 404 WEFT_API_ACTION_PENDING while it runs, then the action's output itself.
    let result: Body = { error: { code: 'WEFT_API_ACTION_PENDING' } };
    for (let i = 0; i < 200 && result?.error?.code === 'WEFT_API_ACTION_PENDING'; i++) {
      result = await h.get(statusUrl);
      if (result?.error?.code === 'WEFT_API_ACTION_PENDING') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(result).toEqual({ id: 'item-4', name: 'Item 4', size: 40 });

    // Every run, synchronous or not, is in the operation log; a failure ends with its error line.
    const missing = await h.api('/action/trigger', {
      method: 'POST',
      headers,
      json: { action_name: 'get-item', input: { id: 'item-999' } },
    });
    expect(((await missing.json()) as Body).error.code).toBe('WEFT_RUNNER_ACTION_FAILED');
    const logged = await h.get('/logs?type=action&connection_id=c1');
    expect(logged.operations.map((o: Body) => `${o.name}:${o.state}`).sort()).toEqual([
      'get-item:failed',
      'get-item:failed',
      'get-item:success',
      'get-item:success',
    ]);
    const notFound = logged.operations.find((o: Body) => o.message?.includes('No item item-999'));
    expect(notFound.messages.at(-1)).toMatchObject({ level: 'error' });
    expect(notFound.messages.at(-1).message).toMatch(
      /^WEFT_RUNNER_ACTION_FAILED: Action get-item failed: No item item-999\n\s+at [^\n]*\(actions\/get-item\.ts:19:\d+\)$/,
    );
  });

  it('a new deploy runs its version from the next call on, and a rollback brings the previous one back', async () => {
    const headers = { 'Connection-Id': 'c1', 'Provider-Config-Key': 'demo' };
    const nameOf = async () => {
      const response = await h.api('/action/trigger', {
        method: 'POST',
        headers,
        json: { action_name: 'get-item', input: { id: 'item-3' } },
      });
      return ((await response.json()) as Body).name as string;
    };
    expect(await nameOf()).toBe('Item 3');
    const file = path.join(work, 'demo', 'actions', 'get-item.ts');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('name: response.data.title', 'name: `v2 ${response.data.title}`'),
    );
    const deployed = await weft(['deploy', work]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain('Deployed demo as version 2');
    expect(await nameOf()).toBe('v2 Item 3');
    const rolledBack = await h.api('/deploy/rollback', { method: 'POST', json: { provider_config_key: 'demo' } });
    expect(await rolledBack.json()).toEqual({ version: 1 });
    expect(await nameOf()).toBe('Item 3');
    const listed = (await (await h.api('/deployments?provider_config_key=demo')).json()) as {
      deployments: Array<{ version: number; active: boolean }>;
    };
    expect(listed.deployments.map((d) => [d.version, d.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    // An integration that does not exist has no deployments and nothing to roll back.
    const none = await h.api('/deployments?provider_config_key=nope');
    expect(await none.json()).toEqual({ deployments: [] });
    const nothing = await h.api('/deploy/rollback', { method: 'POST', json: { provider_config_key: 'nope' } });
    expect(nothing.status).toBe(404);
    expect(((await nothing.json()) as { error: { code: string } }).error.code).toBe('WEFT_RUNNER_SCRIPT_NOT_FOUND');
  });

  it('dryrun prints records and counts and saves nothing', async () => {
    const result = await weft(['dryrun', 'items', 'c1', '--path', work, '--show', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Item: 30 record(s)');
    expect(result.stdout).toMatch(/^Running items against c1: done in /m);
    expect(result.stdout).toContain('{"id":"item-0","name":"Item 0","size":0}');
    const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM records');
    expect(rows[0]?.n).toBe(0);
  });

  it('a removed sync needs --force; a script that does not compile deploys nothing', async () => {
    await rm(path.join(work, 'demo', 'syncs', 'items.ts'));
    const refused = await weft(['deploy', work]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('WEFT_RUNNER_DESTRUCTIVE_DEPLOY');
    expect(refused.stderr).toContain('sync items');
    await writeFile(
      path.join(work, 'demo', 'actions', 'broken.ts'),
      "import { createAction } from 'nango';\nexport default createAction({ oops });\n",
    );
    const broken = await weft(['deploy', work, '--force']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/WEFT_RUNNER_COMPILE_FAILED.*actions\/broken\.ts:2:\d+/);
    const config = await h.get('/scripts/config?provider_config_key=demo');
    expect(config.data.map((s: Body) => s.name).sort()).toEqual(['get-item', 'items']); // version 1 still active
  });
});
