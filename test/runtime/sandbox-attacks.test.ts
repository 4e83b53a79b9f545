import { readRecords } from '@weft/records';
import { compileIntegration, type Runner, type SyncRunResult } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { createHarnessRunner } from '../helpers/harness-runner.js';
import { json, Upstream } from '../proxy/upstream.js';
import { eventually } from '../scheduler/helpers.js';
import { startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: Upstream;
let runner: Runner;
let cpuBoundRunner: Runner;
let connection: RunnerConnection;

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(3);
  // isolated-vm counts a run's CPU time as the time it holds the isolate, which a loaded machine
  // stretches: only the CPU test gets a tight CPU limit, so the others end on what they test.
  const limitedRunner = (cpuMs: number) =>
    createHarnessRunner(h, { limits: { memoryMb: 64, wallMs: 60_000, cpuMs }, maxBatchRecords: 10_000 });
  runner = limitedRunner(60_000);
  cpuBoundRunner = limitedRunner(1_500);
  connection = await connectApiKeyIntegration(h, 'attacks', 'victim', api.url, 'ghp_topsecret');
  const scripts = await compileIntegration(`${fixtures}attacks`, { skipTypeCheck: true });
  await runner.deploy(h.environmentId, 'attacks', scripts);
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

const run = (syncName: string, signal?: AbortSignal): Promise<SyncRunResult> =>
  (syncName === 'infinite-loop' ? cpuBoundRunner : runner).runSync({
    environmentId: h.environmentId,
    connection,
    syncName,
    mode: 'incremental',
    lastSyncDate: null,
    ...(signal ? { signal } : {}),
  });

describe('sandbox attack suite', () => {
  it.each([
    ['infinite-loop', 'WEFT_RUNNER_TIMEOUT', /CPU|wall-clock/],
    ['allocation-bomb', 'WEFT_RUNNER_MEMORY_LIMIT', /memory limit of 64 MB/],
    ['deep-recursion', 'WEFT_RUNNER_SCRIPT_FAILED', /Maximum call stack size exceeded/],
    ['require-fs', 'WEFT_RUNNER_SCRIPT_FAILED', /no require: undefined/],
    ['escape-constructor', 'WEFT_RUNNER_SCRIPT_FAILED', /escape result: no process/],
    ['other-connection', 'WEFT_RUNNER_FORBIDDEN', /only use its own connection/],
    ['other-connection-proxy', 'WEFT_RUNNER_FORBIDDEN', /only use its own connection/],
    ['token-theft', 'WEFT_RUNNER_FORBIDDEN', /tokens never enter the sandbox/],
    ['huge-batch', 'WEFT_RUNNER_PAYLOAD_TOO_LARGE', /20000 records, over the limit of 10000 records per call/],
  ])('%s is stopped with %s while an honest run proceeds', async (name, code, message) => {
    const [attack, honest] = await Promise.all([run(name), run('honest')]);
    expect(attack.status).toBe('failed');
    expect(attack.error?.code).toBe(code);
    expect(attack.error?.message).toMatch(message);
    expect(honest.status, JSON.stringify(honest.error)).toBe('success');
  });

  it('nothing of Node is reachable: no process, require, fetch; the host is not polluted', async () => {
    const probe = await run('escape-constructor');
    const line = probe.logs.find((l) => l.message.startsWith('{'))?.message ?? '{}';
    const seen = JSON.parse(line) as { probe: string; keys: string; fetch: string };
    expect(seen.probe).toBe('no process');
    expect(seen.fetch).toBe('undefined');
    expect(seen.keys).not.toMatch(/process|require|__hostCall|Buffer/);
  });

  it("a baseUrlOverride to the script's own server gets none of the connection's credentials", async () => {
    const attacker = new Upstream();
    await attacker.start();
    try {
      attacker.reset((req, res) => json(res, 200, { got: req.headers.authorization ?? 'nothing' }));
      await h.api('/connection/metadata', {
        method: 'POST',
        json: { connection_id: 'victim', provider_config_key: 'attacks', metadata: { attacker: attacker.url } },
      });
      const result = await run('base-url-exfiltration');
      expect(result.status, JSON.stringify(result.error)).toBe('success');
      expect(attacker.seen).toHaveLength(1);
      expect(attacker.seen[0]?.headers.authorization).toBeUndefined();
      expect(JSON.stringify(attacker.seen)).not.toContain('ghp_topsecret');
      expect(result.logs.map((l) => l.message)).toContain('attacker saw: nothing');
    } finally {
      await attacker.stop();
    }
  });

  it('prototype pollution stays inside the isolate; the record crosses as plain data', async () => {
    const result = await run('prototype-pollution');
    expect(result.status, JSON.stringify(result.error)).toBe('success');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const page = await readRecords(h.db.pool, { connectionRowId: connection.id, model: 'Thing', ids: ['p1'] });
    const record = JSON.parse(page.records[0] ?? '{}') as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(['_nango_metadata', 'id', 'value']);
  });

  it('a cancel mid-await stops the run at once and nothing after it is saved', async () => {
    const controller = new AbortController();
    const pending = run('slow-await', controller.signal);
    // Cancel once the script is parked in its long await: observable as its API call arriving upstream.
    await eventually(
      async () => api.seen.some((r) => r.url.startsWith('/items?marker=slow')),
      30_000,
      'the slow call upstream',
    );
    controller.abort();
    const result = await pending;
    // Cancelled, not timed out: the abort ended the run inside its 60 s await, long before the
    // 60 s wall limit would have.
    expect(result.status).toBe('cancelled');
    expect(result.error?.code).toBe('WEFT_RUNNER_CANCELLED');
    const late = await readRecords(h.db.pool, { connectionRowId: connection.id, model: 'Thing', ids: ['late'] });
    expect(late.records).toHaveLength(0);
  });
});
