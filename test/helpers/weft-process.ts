import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface WeftProcess {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first or after `timeoutMs`). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Resolves once every process writing to its stdout has closed it (a launcher's child too). */
  outputClosed: Promise<void>;
  signal(signal: NodeJS.Signals): void;
  /** Signal the whole process group (needs `ownProcessGroup`), as a terminal's Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
}

/**
 * Run the CLI exactly as `npm start` does (`node --no-node-snapshot --import tsx …/main.ts`),
 * with only the given environment on top of PATH/HOME, so a developer's settings never leak in.
 * With `launcher`, run it as `npx weft` does instead: `node packages/cli/bin/weft.js` (the
 * precompiled entry, re-exec for sandbox commands). With `ownProcessGroup`, the CLI leads its own
 * process group, so `signalGroup` can send what a terminal's Ctrl-C sends.
 */
export function spawnWeft(
  args: string[],
  env: Record<string, string>,
  options: { launcher?: boolean; ownProcessGroup?: boolean } = {},
): WeftProcess {
  const child = spawn(
    process.execPath,
    options.launcher
      ? ['packages/cli/bin/weft.js', ...args]
      : ['--no-node-snapshot', '--import', 'tsx', 'packages/cli/src/main.ts', ...args],
    {
      cwd: repoRoot,
      // Tests talk to fakes on loopback: the outbound policy allows it unless a test says otherwise.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        LOG_LEVEL: 'warn',
        WEFT_ALLOW_PRIVATE_NETWORK: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup === true,
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const collect = (target: string[], isStdout: boolean) => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        target.push(line);
        if (!isStdout) continue;
        for (const waiter of [...waiters]) {
          const match = line.match(waiter.pattern);
          if (match) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(match);
          }
        }
      }
    };
  };
  child.stdout?.on('data', collect(stdout, true));
  child.stderr?.on('data', collect(stderr, false));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const outputClosed = new Promise<void>((resolve) => child.stdout?.on('close', () => resolve()));
  return {
    child,
    stdout,
    stderr,
    exited,
    outputClosed,
    signal: (signal) => child.kill(signal),
    signalGroup: (signal) => process.kill(-(child.pid ?? 0), signal),
    waitForLine(pattern, timeoutMs = 60_000) {
      const already = stdout.map((l) => l.match(pattern)).find((m) => m);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no line matching ${pattern} within ${timeoutMs} ms; stdout: ${stdout.join('\n')}; stderr: ${stderr.join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        exited.then((code) =>
          reject(
            new Error(
              `weft exited (${code}) before printing ${pattern}; stdout: ${stdout.join('\n')}; stderr: ${stderr.join('\n')}`,
            ),
          ),
        );
      });
    },
  };
}
