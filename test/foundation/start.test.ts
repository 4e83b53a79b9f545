import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPool, freePort } from '@weft/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWeft } from '../helpers/weft-process.js';

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  await chmod(dir, 0o755); // the postgres OS user must be able to enter it when tests run as root
  return dir;
}

async function get(url: string, key?: string): Promise<{ status: number; body: { [k: string]: unknown } }> {
  const response = await fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return { status: response.status, body: (await response.json()) as { [k: string]: unknown } };
}

describe('weft start on the embedded Postgres', () => {
  let dataRoot: string;
  beforeAll(async () => {
    dataRoot = await tempDir('weft-start-');
  });
  afterAll(() => rm(dataRoot, { recursive: true, force: true }));

  it('prints URL and key, serves /health, stops cleanly on SIGTERM/SIGINT and keeps the key across restarts', async () => {
    const port = await freePort();
    const env = { WEFT_DATA_DIR: path.join(dataRoot, '.weft'), PORT: String(port) };

    const first = spawnWeft(['start'], env);
    const [, url] = await first.waitForLine(/^API URL: (http\S+)$/);
    const [, key] = await first.waitForLine(/^Secret key: (weft_sk_\S+)$/);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const health = await get(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', db: { ok: true, migration: expect.stringMatching(/^\d{3}_/) } });
    expect((await get(`${url}/environment`, key)).status).toBe(200);
    expect((await get(`${url}/environment`, 'weft_sk_not-the-key')).body).toMatchObject({
      error: { code: 'WEFT_API_UNAUTHORIZED' },
    });

    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    // The embedded Postgres was stopped, not orphaned: its lock file is gone.
    await expect(access(path.join(env.WEFT_DATA_DIR, 'pgdata', 'postmaster.pid'))).rejects.toThrow();

    const second = spawnWeft(['start'], env);
    await second.waitForLine(/^API URL: /);
    await second.waitForLine(/^Secret key: run `weft env show`/);
    expect(second.stdout.join('\n')).not.toContain(key);
    expect((await get(`${url}/environment`, key)).status).toBe(200);
    second.signal('SIGINT');
    expect(await second.exited).toBe(0);

    const show = spawnWeft(['env', 'show'], env);
    await show.waitForLine(new RegExp(`^Secret key: ${key}$`));
    expect(await show.exited).toBe(0);
  });

  it('a SIGTERM during start-up stops what started (the embedded Postgres too) and exits 0', async () => {
    const env = { WEFT_DATA_DIR: path.join(dataRoot, '.weft-early'), PORT: String(await freePort()) };
    const starting = spawnWeft(['start'], env);
    await starting.waitForLine(/^Starting Weft…$/);
    starting.signal('SIGTERM');
    expect(await starting.exited).toBe(0);
    expect(starting.stdout).toContain('Received SIGTERM during start-up: stopping as soon as it is up…');
    await expect(access(path.join(env.WEFT_DATA_DIR, 'pgdata', 'postmaster.pid'))).rejects.toThrow();
  });

  it("a terminal's Ctrl-C (SIGINT to the whole process group) is one clean stop", async () => {
    const env = { WEFT_DATA_DIR: path.join(dataRoot, '.weft-ctrl-c'), PORT: String(await freePort()) };
    // Through the launcher, which re-execs node: two processes of the group get the SIGINT.
    const weft = spawnWeft(['start'], env, { launcher: true, ownProcessGroup: true });
    await weft.waitForLine(/^API URL: /);
    weft.signalGroup('SIGINT');
    expect(await weft.exited).toBe(0);
    expect(weft.stdout.filter((line) => line.startsWith('Received'))).toEqual(['Received SIGINT, shutting down…']);
    // Postgres was not interrupted under Weft's sessions; Weft stopped it after them.
    expect(weft.stderr.join('\n')).not.toContain('terminating connection');
    await expect(access(path.join(env.WEFT_DATA_DIR, 'pgdata', 'postmaster.pid'))).rejects.toThrow();
  });

  it('kill -9 of the launcher stops the Weft it started (the embedded Postgres too)', async () => {
    const env = { WEFT_DATA_DIR: path.join(dataRoot, '.weft-orphan'), PORT: String(await freePort()) };
    const weft = spawnWeft(['start'], env, { launcher: true });
    const [, url] = await weft.waitForLine(/^API URL: (http\S+)$/);
    weft.signal('SIGKILL');
    await weft.exited;
    // The re-exec'd child shares the launcher's stdout: it closes it when it has stopped.
    await weft.outputClosed;
    expect(weft.stdout).toContain('Received SIGTERM, shutting down…');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await expect(access(path.join(env.WEFT_DATA_DIR, 'pgdata', 'postmaster.pid'))).rejects.toThrow();
  });

  it('prints its version and help', async () => {
    const version = spawnWeft(['--version'], {});
    expect(await version.exited).toBe(0);
    expect(version.stdout.join('\n')).toMatch(/^\d+\.\d+\.\d+$/m);
    const help = spawnWeft(['--help'], {});
    expect(await help.exited).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/start \[options\]\s+Run the API/);
  });

  it('exits non-zero naming PORT when PORT is invalid', async () => {
    const weft = spawnWeft(['start'], { WEFT_DATA_DIR: path.join(dataRoot, 'bad-port'), PORT: 'eighty' });
    expect(await weft.exited).toBe(1);
    const stderr = weft.stderr.join('\n');
    expect(stderr).toContain('WEFT_CONFIG_INVALID');
    expect(stderr).toContain('PORT must be an integer between 1 and 65535 (got "eighty")');
  });

  it('explains a port already in use in one line, without a stack trace', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const weft = spawnWeft(['start'], { WEFT_DATA_DIR: path.join(dataRoot, 'busy-port'), PORT: String(port) });
      expect(await weft.exited).toBe(1);
      const stderr = weft.stderr.join('\n');
      expect(stderr).toContain(`Error WEFT_SERVER_PORT_IN_USE: Port ${port} on 127.0.0.1 is already in use`);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });
});

describe('weft start with DATABASE_URL (Postgres 15 cluster started by the test)', () => {
  let root: string;
  let stopCluster: () => Promise<void>;
  let databaseUrl: string;

  beforeAll(async () => {
    const { startEmbeddedPostgres } = await import('@weft/db');
    root = await tempDir('weft-pg15-');
    const cluster = await startEmbeddedPostgres({
      dataDir: path.join(root, 'pg15'),
      binDir: '/usr/lib/postgresql/15/bin',
      ephemeral: true,
    });
    stopCluster = cluster.stop;
    const admin = createPool(cluster.url, { max: 1 });
    await admin.query('CREATE DATABASE weft_external');
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = '/weft_external';
    databaseUrl = url.toString();
  });
  afterAll(async () => {
    await stopCluster();
    await rm(root, { recursive: true, force: true });
  });

  it('uses that database, and two processes starting together never double-apply migrations', async () => {
    const sharedKey = 'a'.repeat(64);
    const [portA, portB] = [await freePort(), await freePort()];
    const a = spawnWeft(['start'], {
      DATABASE_URL: databaseUrl,
      WEFT_ENCRYPTION_KEY: sharedKey,
      WEFT_DATA_DIR: path.join(root, 'a'),
      PORT: String(portA),
    });
    const b = spawnWeft(['start'], {
      DATABASE_URL: databaseUrl,
      WEFT_ENCRYPTION_KEY: sharedKey,
      WEFT_DATA_DIR: path.join(root, 'b'),
      PORT: String(portB),
    });
    await Promise.all([a.waitForLine(/^API URL: /), b.waitForLine(/^API URL: /)]);
    for (const port of [portA, portB]) {
      expect((await get(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    }
    // Exactly one of the two created the environment and printed its key.
    const printedKeys = [...a.stdout, ...b.stdout].filter((l) => /^Secret key: weft_sk_/.test(l));
    expect(printedKeys).toHaveLength(1);
    expect(a.stdout.concat(b.stdout).join('\n')).toContain('Database: DATABASE_URL');

    const pool = createPool(databaseUrl, { max: 1 });
    try {
      const version = await pool.query<{ server_version_num: string }>('SHOW server_version_num');
      expect(version.rows[0]!.server_version_num).toMatch(/^15/);
      const migrations = await pool.query<{ name: string; n: number }>(
        'SELECT name, count(*)::int AS n FROM weft_migrations GROUP BY name',
      );
      expect(migrations.rows.length).toBeGreaterThan(0);
      expect(migrations.rows.every((row) => row.n === 1)).toBe(true);
      const environments = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM environments');
      expect(environments.rows[0]!.n).toBe(1);
    } finally {
      await pool.end();
    }
    // No embedded cluster was created when DATABASE_URL is set.
    await expect(access(path.join(root, 'a', 'pgdata'))).rejects.toThrow();

    a.signal('SIGTERM');
    b.signal('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });
});
