import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { freePort } from '@weft/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnWeft, type WeftProcess } from '../helpers/weft-process.js';
import { eventually } from './helpers.js';

const JOBS = ['retention', 'webhook-retries', 'alerts'];

let db: TestDatabase;
let receiver: Server;
const processes: WeftProcess[] = [];

interface Execution {
  job: string;
  job_id: string;
  period_start: string | null;
  worker_id: string;
  finished: boolean;
  error: string | null;
}

async function executions(): Promise<Execution[]> {
  const { rows } = await db.pool.query<Execution>(
    `SELECT job, job_id, period_start, worker_id, finished_at IS NOT NULL AS finished, error
     FROM maintenance_runs ORDER BY id`,
  );
  return rows;
}

const finishedOf = (all: Execution[], job: string, worker?: (id: string) => boolean) =>
  all.filter((e) => e.job === job && e.finished && (worker === undefined || worker(e.worker_id))).length;

function expectOncePerPeriod(all: Execution[]): void {
  for (const job of JOBS) {
    const mine = all.filter((e) => e.job === job);
    // Every execution belongs to a pg-boss period slot, and no slot (nor job) ran twice.
    expect(mine.every((e) => e.period_start !== null)).toBe(true);
    expect(new Set(mine.map((e) => e.period_start)).size, `${job}: a period ran twice`).toBe(mine.length);
    expect(new Set(mine.map((e) => e.job_id)).size, `${job}: a job ran twice`).toBe(mine.length);
    expect(mine.filter((e) => e.error !== null)).toEqual([]);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Alerts need a destination; with nothing wrong in this database, it is never called.
  receiver = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  const alertUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/alerts`;
  const env = {
    DATABASE_URL: db.url,
    WEFT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    WEFT_ALLOW_PRIVATE_NETWORK: 'true',
    WEFT_ALERT_WEBHOOK_URL: alertUrl,
    // One-second periods so the test sees many of them.
    WEFT_RETENTION_INTERVAL_SECONDS: '1',
    WEFT_ALERT_INTERVAL_SECONDS: '1',
  };
  const start = spawnWeft(['start'], { ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
  processes.push(start);
  await start.waitForLine(/^API URL: /, 90_000);
  const workers = [spawnWeft(['worker'], env), spawnWeft(['worker'], env)];
  processes.push(...workers);
  await Promise.all(workers.map((w) => w.waitForLine(/^Worker .* started/, 90_000)));
}, 180_000);

afterAll(async () => {
  for (const p of processes) p.signal('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
  await new Promise((resolve) => receiver?.close(resolve));
  await db?.drop();
});

describe('maintenance as pg-boss singleton jobs in a fleet (weft start + two weft workers)', () => {
  it('runs each maintenance job once per period, whichever process takes it', async () => {
    // Several periods of every job, counted from what the processes recorded.
    const seen = await eventually(
      async () => {
        const all = await executions();
        return JOBS.every((job) => finishedOf(all, job) >= 5) ? all : undefined;
      },
      90_000,
      'five executions of each maintenance job',
    );
    expectOncePerPeriod(seen);

    // Any process of the fleet can do the work: without `weft start`, the workers carry on.
    const start = processes[0] as WeftProcess;
    const startId = `:${start.child.pid}`;
    start.signal('SIGTERM');
    expect(await start.exited).toBe(0);
    const fromWorkers = (id: string) => !id.endsWith(startId);
    const before = new Map(JOBS.map((job) => [job, finishedOf(seen, job, fromWorkers)]));
    const after = await eventually(
      async () => {
        const all = await executions();
        return JOBS.every((job) => finishedOf(all, job, fromWorkers) >= (before.get(job) ?? 0) + 3) ? all : undefined;
      },
      90_000,
      'three more executions of each job by the workers',
    );
    expectOncePerPeriod(after);
  });
});
