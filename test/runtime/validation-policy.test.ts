import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRecords } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { connectApiKeyIntegration, type RunnerConnection } from '../helpers/api-key-connection.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { json, Upstream } from '../proxy/upstream.js';
import { eventually } from '../scheduler/helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let provider: Upstream;
let connection: RunnerConnection;

const people = [
  { id: 'p1', name: 'Ada', email: 'ada@example.com' },
  { id: 'p2', name: 'Bob' }, // no email: invalid against the model
  { id: 'p3', name: 'Cy', email: 'cy@example.com' },
];
const problem = { model: 'Person', recordId: 'p2', path: '/email', reason: 'is required' };

beforeAll(async () => {
  h = await startApi({
    scheduler: { timeScale: 1 / 3600, tickMs: 50, heartbeatMs: 200, heartbeatTimeoutMs: 5_000, retryDelayMs: 100 },
  });
  provider = await new Upstream().start();
  provider.handler = (req, res) =>
    new URL(req.url, provider.url).pathname === '/people' ? json(res, 200, { people }) : json(res, 404, {});
  connection = await connectApiKeyIntegration(h, 'validation', 'v-1', provider.url);
  const scripts = await compileIntegration(`${fixtures}validation`);
  expect(scripts.find((s) => s.name === 'people-strict')?.definition).toMatchObject({ validation: 'reject' });
  await h.runner.deploy(h.environmentId, 'validation', scripts);
}, 60_000);
afterAll(async () => {
  await provider.stop();
  await h.close();
});

describe('validation policy: Nango keeps invalid records, Weft reports them', () => {
  it('by default a scheduled run stores every record and reports the invalid one in the run log, sync status and webhook', async () => {
    const status = await eventually(
      async () => {
        const body = (await h.get('/sync/status?provider_config_key=validation&syncs=people')) as Body;
        return body.syncs?.[0]?.latestExecutionStatus === 'SUCCESS' ? body.syncs[0] : undefined;
      },
      30_000,
      'the first scheduled run of people',
    );
    expect(status.latestResult).toEqual({ Person: { added: 3, updated: 0, deleted: 0 } });
    expect(status.invalidRecords).toEqual({ count: 1, records: [problem] });
    const stored = await readRecords(h.db.pool, { connectionRowId: connection.id, model: 'Person', limit: 10 });
    expect(stored.records.map((r) => (JSON.parse(r) as { id: string }).id)).toEqual(['p1', 'p2', 'p3']);

    const runs = (await h.get('/sync/runs?provider_config_key=validation&sync_name=people')) as Body;
    expect(JSON.stringify(runs)).toContain('"invalid_records"');
    const { rows: logs } = await h.db.pool.query<{ logs: Array<{ level: string; message: string }> }>(
      "SELECT logs FROM sync_runs WHERE sync_name = 'people' AND status = 'success' LIMIT 1",
    );
    expect(logs[0]?.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'record p2 of Person is invalid at /email: is required' }),
    );
    const { rows: events } = await h.db.pool.query<{ payload: Body }>(
      "SELECT payload FROM webhook_events WHERE type = 'sync' AND payload->>'syncName' = 'people'",
    );
    expect(events[0]?.payload).toMatchObject({ success: true, invalidRecords: { count: 1, records: [problem] } });
  });

  it('`validation: reject` (one setting) refuses the batch as before: nothing written, id/path/reason in the error', async () => {
    const result = await h.runner.runSync({
      environmentId: h.environmentId,
      connection,
      syncName: 'people-strict',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('WEFT_RECORDS_VALIDATION_FAILED');
    expect(result.error?.message).toMatch(/p2.*\/email|\/email.*p2/);
    const stored = await readRecords(h.db.pool, { connectionRowId: connection.id, model: 'StrictPerson', limit: 10 });
    expect(stored.records).toEqual([]);
  });
});

describe('weft dryrun mirrors Nango dryrun flags', () => {
  async function weft(args: string[]) {
    const run = spawnWeft(args, { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey });
    const code = await run.exited;
    return { code, stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') };
  }
  const base = [
    'dryrun',
    'people',
    'v-1',
    '--path',
    path.relative(process.cwd(), fixtures),
    '--integration-id',
    'validation',
  ];

  it('warns about invalid records by default; --validation makes them fail', async () => {
    const warned = await weft(base);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stdout).toContain('record p2 of Person is invalid at /email: is required');
    expect(warned.stdout).toContain('Person: 3 record(s)');
    expect(warned.stdout).toContain('1 record(s) do not match their model');
    const strict = await weft([...base, '--validation']);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('WEFT_RECORDS_VALIDATION_FAILED');
  }, 300_000);

  it('--metadata, --checkpoint (JSON or @file.json), --variant and --lastSyncDate reach the script', async () => {
    const file = path.join(tmpdir(), `weft-checkpoint-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ page: 7 }));
    const result = await weft([
      ...base,
      '--metadata',
      '{"team":"blue"}',
      '--checkpoint',
      `@${file}`,
      '--variant',
      'eu',
      '--lastSyncDate',
      '2024-01-02',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('team=blue page=7 variant=eu');
    // A dryrun never writes: the stored metadata and checkpoint are unchanged.
    const { rows } = await h.db.pool.query('SELECT 1 FROM sync_checkpoints WHERE connection_id = $1', [connection.id]);
    expect(rows).toEqual([]);
  }, 300_000);
});
