import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commandModules } from './command-modules.js';
import { registerGenerateCommand } from './generate-client.js';
import { registerIntegrationCommands } from './integration-command.js';
import { registerLogsCommand } from './logs-command.js';
import { registerScriptCommands } from './script-commands.js';
import { registerSyncCommands } from './sync-commands.js';

// Only commander and the command declarations load at start: each action imports what it runs
// through `commandModules` (the server, the compiler, telemetry …), so `weft --help`,
// `weft env show` and the API commands never pay for the server, the sandbox or the SDK.

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Print a Weft error as one clear line (no stack) and exit non-zero. */
function fail(error: unknown): never {
  // Duck-typed rather than isWeftError so printing an error does not load @weft/core (zod).
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && code.startsWith('WEFT_')) {
    process.stderr.write(`Error ${code}: ${error.message}\n`);
  } else {
    process.stderr.write(`Error: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exit(1);
}

/**
 * Start a service, then stop it gracefully on SIGINT/SIGTERM and exit 0; a second signal exits at
 * once. A signal that arrives while the service is still starting is held until start-up
 * settles, and then what started is stopped: exiting at once (143) left the embedded Postgres
 * running.
 */
async function runUntilSignal(
  start: () => Promise<{ stop(): Promise<void> }>,
  doing: string,
  announce?: string,
): Promise<void> {
  let signals = 0;
  let service: { stop(): Promise<void> } | undefined;
  let requested: string | undefined;
  const stop = (running: { stop(): Promise<void> }) =>
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    if (service === undefined) {
      requested = signal;
      process.stdout.write(`Received ${signal} during start-up: stopping as soon as it is up…\n`);
      return;
    }
    process.stdout.write(`Received ${signal}, ${doing}\n`);
    void stop(service);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // Announced only once the handlers are in place: whoever reacts to the line with a signal (a
  // supervisor, a test) must reach them, not Node's default exit.
  if (announce) process.stdout.write(`${announce}\n`);
  service = await start();
  if (requested !== undefined) {
    process.stdout.write(`${doing}\n`);
    await stop(service);
  }
}

const program = new Command()
  .name('weft')
  .description('Weft: a self-hostable runtime for integration scripts (Nango-compatible).')
  .version(version, '-v, --version')
  .showHelpAfterError();

program
  .command('start')
  .description('Run the API, scheduler and a runner in one process (embedded Postgres unless DATABASE_URL is set)')
  .option('-p, --port <port>', 'HTTP port (overrides PORT)')
  .action(async (options: { port?: string }) => {
    try {
      const [{ resolveConfig }, { startTelemetry }, { startWeft }] = await Promise.all([
        commandModules.core(),
        commandModules.telemetry(),
        commandModules.start(),
      ]);
      const config = resolveConfig({ ...process.env, ...(options.port ? { PORT: options.port } : {}) });
      await runUntilSignal(
        async () => {
          const telemetry = startTelemetry(process.env, 'server');
          const weft = await startWeft(config);
          return {
            stop: async () => {
              await weft.stop();
              await telemetry.shutdown();
            },
          };
        },
        'shutting down…',
        'Starting Weft…',
      );
    } catch (error) {
      fail(error);
    }
  });

program
  .command('worker')
  .description(
    'Run sync runs only (no API); joins the server through the shared Postgres (set DATABASE_URL and WEFT_ENCRYPTION_KEY)',
  )
  .action(async () => {
    try {
      const [{ resolveConfig }, { startTelemetry }, { startWorker }] = await Promise.all([
        commandModules.core(),
        commandModules.telemetry(),
        commandModules.worker(),
      ]);
      const config = resolveConfig(process.env);
      await runUntilSignal(async () => {
        const telemetry = startTelemetry(process.env, 'worker');
        const worker = await startWorker(config, (line) => process.stdout.write(`${line}\n`));
        return {
          stop: async () => {
            await worker.stop();
            await telemetry.shutdown();
          },
        };
      }, 'finishing running syncs…');
    } catch (error) {
      fail(error);
    }
  });

const env = program.command('env').description('Show or rotate the environment secret key');
env
  .command('show')
  .description('Print the secret key of the environment')
  .action(async () => {
    try {
      const [{ resolveConfig }, { envCommand }] = await Promise.all([commandModules.core(), commandModules.env()]);
      await envCommand(resolveConfig(process.env), 'show', (line) => process.stdout.write(`${line}\n`));
    } catch (error) {
      fail(error);
    }
  });
env
  .command('rotate-key')
  .description('Replace the secret key (the old key stops working)')
  .action(async () => {
    try {
      const [{ resolveConfig }, { envCommand }] = await Promise.all([commandModules.core(), commandModules.env()]);
      await envCommand(resolveConfig(process.env), 'rotate-key', (line) => process.stdout.write(`${line}\n`));
    } catch (error) {
      fail(error);
    }
  });

program
  .command('records')
  .description('Record store maintenance')
  .command('reseal')
  .description(
    'Seal every stored record payload with the current records key (after WEFT_RECORDS_ENCRYPTION=on or a key rotation)',
  )
  .action(async () => {
    try {
      const [{ resolveConfig }, { resealCommand }] = await Promise.all([
        commandModules.core(),
        commandModules.records(),
      ]);
      await resealCommand(resolveConfig(process.env), (line) => process.stdout.write(`${line}\n`));
    } catch (error) {
      fail(error);
    }
  });

const out = (line: string) => process.stdout.write(`${line}\n`);
const guarded = async (fn: () => Promise<void>) => {
  try {
    await fn();
  } catch (error) {
    fail(error);
  }
};
registerIntegrationCommands(program, out, guarded);
registerScriptCommands(program, out, guarded);
registerSyncCommands(program, out, guarded);
registerLogsCommand(program, out, guarded);
registerGenerateCommand(program, out, guarded);

await program.parseAsync(process.argv);
