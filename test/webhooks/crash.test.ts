import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@weft/db';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Body } from '../helpers/api-harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { scriptOnTheWire } from '../helpers/script-wire.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from '../scheduler/helpers.js';
import {
  createWebhookConnection,
  createWebhookIntegration,
  eventRecords,
  HOOKY_PROVIDERS_YAML,
  holdScheduledRuns,
} from './hooky.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let db: TestDatabase;
let api: DemoApi;
let dir: string;
let env: Record<string, string>;
let url = '';
let key = '';
const processes: WeftProcess[] = [];

async function start(extra: Record<string, string>): Promise<WeftProcess> {
  const weft = spawnWeft(['start'], { ...env, ...extra });
  processes.push(weft);
  await weft.waitForLine(/^API URL: /, 120_000);
  return weft;
}

async function kill(weft: WeftProcess): Promise<void> {
  weft.signal('SIGKILL');
  await weft.exited;
}

function call(pathname: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  return fetch(`${url}${pathname}`, {
    ...rest,
    headers: {
      authorization: `Bearer ${key}`,
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(rest.headers as Record<string, string> | undefined),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

async function notification(dedupeKey: string) {
  const { rows } = await db.pool.query<{ id: string; status: string; attempts: number; outcome: Body }>(
    `SELECT id::text, status, attempts, outcome FROM provider_webhooks WHERE dedupe_key = $1`,
    [`id:${dedupeKey}`],
  );
  return rows[0];
}

async function eventIds(): Promise<string[]> {
  return (await eventRecords(call, 'hooks', 'conn-a')).map((r: { id: string }) => r.id).sort();
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startDemoApi(3);
  dir = await mkdtemp(path.join(tmpdir(), 'weft-webhook-crash-'));
  await chmod(dir, 0o755);
  await writeFile(path.join(dir, 'providers.yaml'), HOOKY_PROVIDERS_YAML);
  const port = await freePort();
  env = {
    DATABASE_URL: db.url,
    WEFT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    WEFT_PROVIDERS_FILE: path.join(dir, 'providers.yaml'),
    WEFT_DATA_DIR: path.join(dir, '.weft'),
    WEFT_ALLOW_PRIVATE_NETWORK: 'true',
    PORT: String(port),
  };
  url = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  for (const weft of processes) weft.signal('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await api?.stop();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kill -9 of Weft around an inbound webhook', () => {
  it('accepted, then killed before processing: processed after the restart', async () => {
    // No run slots: this process accepts webhooks and never processes them.
    const first = await start({ WEFT_WORKER_CONCURRENCY: '0' });
    [, key] = (await first.waitForLine(/^Secret key: (weft_sk_\S+)$/)) as RegExpMatchArray as [string, string];
    await createWebhookIntegration(call, 'hooks', { baseUrl: api.url });
    await createWebhookConnection(call, 'hooks', 'conn-a', 'acct-1');
    const compiled = await compileIntegration(`${fixtures}webhooks`);
    const deploy = await call('/deploy', {
      method: 'POST',
      json: {
        provider_config_key: 'hooks',
        scripts: compiled.map((s) => scriptOnTheWire(s)),
      },
    });
    expect(deploy.status, await deploy.clone().text()).toBe(200);
    // Only webhooks run here: the daily schedule's first run is put off (this process runs nothing
    // meanwhile, having no run slots), and a run it already queued is cancelled.
    await holdScheduledRuns(db.pool);

    const accepted = await fetch(`${url}/webhook/dev/hooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hooky-delivery': 'd-1' },
      body: JSON.stringify({ type: 'item.created', account: { id: 'acct-1' }, item: { id: 'e-1' } }),
    });
    expect(accepted.status).toBe(200);
    expect(await notification('d-1')).toMatchObject({ status: 'received', attempts: 0 });
    await kill(first);

    await start({ WEFT_WORKER_CONCURRENCY: '1' });
    const done = await eventually(
      async () => {
        const row = await notification('d-1');
        return row?.status === 'processed' ? row : undefined;
      },
      60_000,
      'the notification accepted before the crash processed',
    );
    expect(done.outcome.runs).toEqual([expect.objectContaining({ status: 'success' })]);
    expect(await eventIds()).toEqual(['e-1']);
  }, 240_000);

  it('killed in the middle of the handler: the notification is taken over and handled once', async () => {
    const [second] = processes.slice(-1);
    if (second === undefined) throw new Error('the first test starts Weft');
    const held = api.hold((u) => u.pathname === '/items/item-1');
    const accepted = await fetch(`${url}/webhook/dev/hooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hooky-delivery': 'd-2' },
      body: JSON.stringify({ type: 'item.updated', account: { id: 'acct-1' }, item: { id: 'item-1', fetch: true } }),
    });
    expect(accepted.status).toBe(200);
    await held.arrived; // the handler runs and waits on the provider
    expect(await notification('d-2')).toMatchObject({ status: 'processing', attempts: 1 });
    await kill(second);
    held.release();

    // A short lease, so the dead worker's claim and its running handler run lapse quickly.
    await start({ WEFT_WORKER_CONCURRENCY: '1', WEFT_HEARTBEAT_TIMEOUT_SECONDS: '2' });
    const done = await eventually(
      async () => {
        const row = await notification('d-2');
        return row?.status === 'processed' ? row : undefined;
      },
      90_000,
      'the notification whose handler was killed processed',
    );
    expect(done.attempts).toBe(2);
    const { rows } = await db.pool.query<{ status: string }>(
      `SELECT status FROM sync_runs WHERE webhook_id = $1 ORDER BY created_at`,
      [done.id],
    );
    // The killed attempt is interrupted (never retried as a sync run); the takeover succeeded once.
    expect(rows.map((r) => r.status)).toEqual(['interrupted', 'success']);
    expect(await eventIds()).toEqual(['e-1', 'item-1']);
    const { rows: retries } = await db.pool.query(`SELECT 1 FROM sync_runs WHERE trigger = 'retry'`);
    expect(retries).toHaveLength(0);
  }, 240_000);
});
