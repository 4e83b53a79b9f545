#!/usr/bin/env node
// Launcher. Two costs decide how the CLI starts:
// - isolated-vm needs --no-node-snapshot on Node 20, and only the commands that run or compile
//   scripts load it, so only those re-exec node once with the flag;
// - running the TypeScript sources through tsx costs ~0.3 s of CPU before anything happens, so
//   the CLI runs from dist/main.js (commander and the command declarations, precompiled by
//   ./precompile.js, rebuilt here whenever a source it came from changed); the packages a command
//   needs load from their sources on demand. Without esbuild or a writable dist/, it falls back
//   to the sources through tsx.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SANDBOX_COMMANDS = new Set(['start', 'worker', 'compile', 'deploy', 'dryrun', 'dev']);
const args = process.argv.slice(2);
const command = args.find((arg) => !arg.startsWith('-'));
const wantsHelp = args.includes('--help') || args.includes('-h') || command === 'help';
const needsSandbox = SANDBOX_COMMANDS.has(command ?? '') && !wantsHelp;

if (needsSandbox && !process.execArgv.includes('--no-node-snapshot')) {
  // The child has its own process group, so every signal reaches it exactly once, through here:
  // a terminal's Ctrl-C hits only this process (forwarded), and so does a SIGTERM from a process
  // manager. Sharing the group made a Ctrl-C arrive twice, which means "exit now".
  // The IPC channel is how the child notices this process dying without a signal to forward
  // (kill -9, an OOM kill): the channel closes and the child stops itself as on SIGTERM.
  const child = spawn(process.execPath, ['--no-node-snapshot', fileURLToPath(import.meta.url), ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
    env: { ...process.env, WEFT_LAUNCHED_CHILD: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  if (process.env.WEFT_LAUNCHED_CHILD === '1' && process.channel) {
    delete process.env.WEFT_LAUNCHED_CHILD;
    // The channel must not keep this process alive, only report the launcher's death.
    process.channel.unref();
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  let entry;
  try {
    const { isFresh, precompile, precompiledMain } = await import('./precompile.js');
    entry = (await isFresh()) ? precompiledMain : await precompile();
  } catch {
    entry = undefined;
  }
  if (entry) {
    await import(entry);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    await import(fileURLToPath(new URL('../src/main.ts', import.meta.url)));
  }
}
