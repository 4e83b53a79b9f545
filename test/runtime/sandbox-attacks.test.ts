import { createRecordStore, readRecords } from '@weft/records';
import { compileIntegration, createRunner, type Runner, type SyncRunResult } from '@weft/runner';
import { createCheckpointStore } from '@weft/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { json, Upstream } from '../proxy/upstream.js';
import { startDemoApi } from './demo-api.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let api: Upstream;
let runner: Runner;
let connection: { id: number; providerConfigKey: string; connectionId: string };

beforeAll(async () => {
  h = await startApi();
  api = await startDemoApi(3);
  runner = createRunner({
    pool: h.db.pool,
    checkpoints: createCheckpointStore(h.db.pool),
    proxy: h.proxy,
    records: createRecordStore({ pool: h.db.pool }),
    auth: h.auth,
    limits: { memoryMb: 64, wallMs: 3_000, cpuMs: 1_500 },
    maxBatchRecords: 10_000,
  });
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'attacks', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  const imported = await h.api('/connection', {
    method: 'POST',
    json: {
      connection_id: 'victim',
      provider_config_key: 'attacks',
      credentials: { type: 'API_KEY', apiKey: 'ghp_topsecret' },
    },
  });
  connection = {
    id: ((await imported.json()) as { id: number }).id,
    providerConfigKey: 'attacks',
    connectionId: 'victim',
  };
  const scripts = await compileIntegration(`${fixtures}attacks`, { skipTypeCheck: true });
  await runner.deploy(h.environmentId, 'attacks', scripts);
}, 60_000);
afterAll(async () => {
  await api.stop();
  await h.close();
});

const run = (syncName: string, signal?: AbortSignal): Promise<SyncRunResult> =>
  runner.runSync({
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
    const page = await readRecords(h.db.pool, { connectionId: connection.id, model: 'Thing', ids: ['p1'] });
    const record = JSON.parse(page.records[0] ?? '{}') as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(['_nango_metadata', 'id', 'value']);
  });

  it('a cancel mid-await stops the run at once and nothing after it is saved', async () => {
    const controller = new AbortController();
    const pending = run('slow-await', controller.signal);
    // Cancel once the script is parked in its long await: observable as its API call arriving upstream.
    for (let i = 0; i < 500 && !api.seen.some((r) => r.url.startsWith('/items?marker=slow')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(api.seen.some((r) => r.url.startsWith('/items?marker=slow'))).toBe(true);
    const started = performance.now();
    controller.abort();
    const result = await pending;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result.status).toBe('cancelled');
    expect(result.error?.code).toBe('WEFT_RUNNER_CANCELLED');
    const late = await readRecords(h.db.pool, { connectionId: connection.id, model: 'Thing', ids: ['late'] });
    expect(late.records).toHaveLength(0);
  });
});
