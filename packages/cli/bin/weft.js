#!/usr/bin/env node
// Launcher: isolated-vm needs --no-node-snapshot on Node 20, and the CLI runs from TypeScript
// sources through tsx, so re-exec once with both rather than asking users for node flags.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

if (process.execArgv.includes('--no-node-snapshot')) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(main);
} else {
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}
