import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defineBench, median } from './harness.js';

/**
 * The CLI as a developer meets it:
 * - `weft --help` wall time (p50) through the launcher `npx weft` runs, against `node -e 0`
 *   measured in the same run (what any Node CLI pays before its first line);
 * - `weft dev` recompiling an unchanged integration after a save (the file's mtime moves, its
 *   content does not), against the cold compile the same `weft dev` process did first.
 */
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const launcher = 'packages/cli/bin/weft.js';
const SAMPLES = 9;

function timeProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`${args.join(' ')} exited ${code}`)),
    );
  });
}

/** Lines of a running process, awaited one by one. */
function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  return () => {
    const line = queue.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
}

async function nextMatching(next: () => Promise<string>, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = (await next()).match(pattern);
    if (match) return match;
  }
}

export default defineBench({
  name: 'cli',
  description: 'weft --help vs node -e 0; weft dev recompiling an unchanged integration vs its cold compile',
  async run(report) {
    // Warm-up: the first run may (re)build dist/main.js.
    await timeProcess([launcher, '--help']);
    const help: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      help.push(await timeProcess([launcher, '--help']));
      bare.push(await timeProcess(['-e', '0']));
    }
    report({
      metric: 'help_wall_p50',
      value: median(help),
      baseline: median(bare),
      unit: 'ms',
      higherIsBetter: false,
      // `weft --help` within ~7 bare Node starts, and under 0.4 s however fast Node starts.
      target: 0.15,
      maxValue: 400,
      baselineLabel: 'node -e 0',
    });

    // Inside the repository, so the integration resolves zod from its node_modules.
    const tmpRoot = `${repoRoot}test/.tmp/`;
    await mkdir(tmpRoot, { recursive: true });
    const work = await mkdtemp(`${tmpRoot}bench-cli-`);
    const dir = `${work}/one-drive-personal`;
    await cp(`${repoRoot}integrations/one-drive-personal`, dir, { recursive: true });
    const dev = spawn(process.execPath, [launcher, 'dev', dir, '--no-deploy'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const next = lines(dev);
      const compiled = /^one-drive-personal: compiled \d+ script\(s\) in (\d+) ms$/;
      const cold = Number((await nextMatching(next, compiled))[1]);
      await nextMatching(next, /^Watching /);
      const recompiles: number[] = [];
      for (let i = 0; i < 5; i++) {
        const saved = performance.now();
        const now = new Date();
        await utimes(`${dir}/syncs/files.ts`, now, now);
        await nextMatching(next, compiled);
        recompiles.push(performance.now() - saved);
      }
      report({
        metric: 'dev_recompile_unchanged',
        value: median(recompiles),
        baseline: cold,
        unit: 'ms',
        higherIsBetter: false,
        // Save → "compiled" line (file watch and settle time included) within 1 s, and at
        // least 5x faster than compiling from nothing.
        target: 5,
        maxValue: 1000,
        baselineLabel: 'cold compile, same weft dev',
      });
    } finally {
      dev.kill('SIGINT');
      await new Promise((resolve) => dev.once('exit', resolve));
      await rm(work, { recursive: true, force: true });
    }
  },
});
