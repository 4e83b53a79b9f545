import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CompiledScript } from '@weft/runner';
import type { Command } from 'commander';
import { type ApiClientOptions, apiClient } from './api-client.js';
import { commandModules } from './command-modules.js';
import { integrationDirs } from './integration-dirs.js';
import { packageModules } from './package-modules.js';
import { createProgress } from './progress.js';
import { deployCompiled, printDryrun, requestDryrun } from './script-requests.js';

/** The compiler (TypeScript, esbuild, isolated-vm) loads when a command compiles, not at CLI start. */
async function compileIntegration(dir: string): Promise<CompiledScript[]> {
  const { compileIntegration: compile } = await packageModules.runner();
  return compile(dir);
}

/**
 * A dryrun flag value as Nango's CLI reads it: `@file.json` loads that file, otherwise JSON; for
 * `--input` a value that is not JSON is passed as a plain string.
 */
async function dryrunValue(raw: string, flag: string, plainStringAllowed: boolean): Promise<unknown> {
  if (raw.startsWith('@')) {
    const file = raw.slice(1);
    if (!file.endsWith('.json')) throw new Error(`--${flag} ${raw}: only .json files can be passed`);
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    if (plainStringAllowed) return raw;
    throw new Error(`--${flag} must be JSON or @file.json`);
  }
}

/** What to do about an integration folder Weft has no integration record for. */
function missingIntegrationAdvice(dir: string, others: boolean): string[] {
  const key = path.basename(dir);
  const folder = path.relative(process.cwd(), dir) || '.';
  return [
    `${key}: skipped, Weft has no integration "${key}" (the folder name is the integration key). Create it first:`,
    `  weft integration create ${key} ${key} --client-id <id> --client-secret <secret>`,
    '  (the second name is the provider from providers.yaml; the shipped integrations use their own name)',
    others
      ? `  then \`weft deploy ${folder}\` (or deploy one folder: \`weft deploy <path-to-integration>\`)`
      : `  then \`weft deploy ${folder}\``,
  ];
}

/** `weft compile`, `weft deploy`, `weft dryrun`, `weft dev`. */
/** `--webhook payload.json` (as the issue and Nango's docs write it), `@payload.json`, or inline JSON. */
async function webhookPayloadOf(raw: string): Promise<unknown> {
  if (raw.startsWith('@') || raw.endsWith('.json')) {
    const file = raw.startsWith('@') ? raw.slice(1) : raw;
    try {
      return JSON.parse(await readFile(file, 'utf8')) as unknown;
    } catch (error) {
      throw new Error(`--webhook ${raw}: ${(error as Error).message}`);
    }
  }
  return dryrunValue(raw, 'webhook', false);
}

export function registerScriptCommands(
  program: Command,
  out: (line: string) => void,
  run: (fn: () => Promise<void>) => Promise<void>,
): void {
  const connectionOptions = (command: Command) =>
    command
      .option('--api-url <url>', 'Weft API URL (or WEFT_API_URL)')
      .option('--secret-key <key>', 'secret key (or WEFT_SECRET_KEY)');

  program
    .command('compile [path]')
    .description('Type-check and bundle the scripts of each integration under path (default ./integrations)')
    .action((target: string | undefined) =>
      run(async () => {
        for (const dir of await integrationDirs(target ?? 'integrations')) {
          const started = performance.now();
          const scripts = await compileIntegration(dir);
          out(
            `${path.basename(dir)}: ${scripts.length} script(s) compiled in ${Math.round(performance.now() - started)} ms`,
          );
          for (const s of scripts)
            out(
              `  ${s.kind} ${s.name}${s.definition.kind === 'sync' ? ` (${s.definition.frequency}; models ${Object.keys(s.definition.models).join(', ')})` : ''}`,
            );
        }
      }),
    );

  connectionOptions(
    program
      .command('deploy [path]')
      .description(
        'Compile and deploy each integration under path (default ./integrations); the directory name is the integration key',
      )
      .option('--force', 'allow removing syncs or models')
      .option('--dry-run', 'show what would change, deploy nothing'),
  ).action((target: string | undefined, o: ApiClientOptions & { force?: boolean; dryRun?: boolean }) =>
    run(async () => {
      const call = apiClient(o);
      const progress = createProgress();
      const dirs = await integrationDirs(target ?? 'integrations');
      // Ask Weft first which integrations exist: a folder without one is reported with the
      // command that creates it, before minutes of compiling, and the others still deploy.
      const { data: existing } = await call<{ data: Array<{ unique_key: string }> }>('GET', '/integrations');
      const known = new Set(existing.map((i) => i.unique_key));
      const missing = dirs.filter((dir) => !known.has(path.basename(dir)));
      for (const dir of missing) for (const line of missingIntegrationAdvice(dir, dirs.length > 1)) out(line);
      // Compile everything first: one broken integration deploys nothing.
      const compiled = [];
      for (const dir of dirs.filter((d) => !missing.includes(d))) {
        const key = path.basename(dir);
        compiled.push({ key, scripts: await progress.step(`Compiling ${key}`, () => compileIntegration(dir)) });
      }
      const failed: string[] = [];
      for (const { key, scripts } of compiled) {
        try {
          await deployCompiled(
            call,
            key,
            scripts,
            { force: o.force === true, dryRun: o.dryRun === true },
            out,
            progress,
          );
        } catch (error) {
          // One refused integration (destructive change, …) does not stop the others.
          failed.push(key);
          const code = (error as { code?: unknown }).code;
          process.stderr.write(
            `Error ${typeof code === 'string' ? `${code}: ` : ''}${key} not deployed: ${(error as Error).message}\n`,
          );
        }
      }
      if (dirs.length > 1 || missing.length > 0 || failed.length > 0) {
        const done = compiled.length - failed.length;
        out(
          `${o.dryRun ? 'Checked' : 'Deployed'} ${done} of ${dirs.length} integration(s)` +
            (missing.length > 0
              ? `; no integration in Weft for ${missing.map((d) => path.basename(d)).join(', ')}`
              : '') +
            (failed.length > 0 ? `; failed: ${failed.join(', ')}` : ''),
        );
      }
      if (missing.length > 0 || failed.length > 0) process.exitCode = 1;
    }),
  );

  connectionOptions(
    program
      .command('dev [path]')
      .description(
        'Compile each integration under path (default ./integrations), deploy it, and again on every save; errors print as file:line:col',
      )
      .option('--no-deploy', 'only type-check and bundle on save')
      .option('--dryrun <script-and-connection...>', 'instead of deploying, run <script> against <connection> on save'),
  ).action((target: string | undefined, o: ApiClientOptions & { deploy: boolean; dryrun?: string[] }) =>
    run(async () => {
      if (o.dryrun && o.dryrun.length !== 2) throw new Error('--dryrun takes a script name and a connection id');
      const { startDev } = await commandModules.dev();
      const session = await startDev(target ?? 'integrations', {
        ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
        ...(o.secretKey ? { secretKey: o.secretKey } : {}),
        deploy: o.deploy,
        ...(o.dryrun ? { dryrun: { script: o.dryrun[0] ?? '', connection: o.dryrun[1] ?? '' } } : {}),
        out,
      });
      await session.ready;
      await new Promise<void>((resolve) => {
        const stop = () => {
          session.stop().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      out('Stopped watching');
    }),
  );

  connectionOptions(
    program
      .command('dryrun <script> <connection-id>')
      .description('Run a local sync or action against a live connection; saves nothing unless --save')
      .option(
        '--integration-id, --integration <key>',
        'integration key (default: the only integration that has this script)',
      )
      .option('-p, --path <dir>', 'integrations directory', 'integrations')
      // Nango's dryrun flags, same names and meaning.
      .option('-i, --input <input>', 'action input: JSON, a plain string, or @file.json')
      .option('-l, --lastSyncDate <date>', 'lastSyncDate for incremental syncs (anything new Date() parses)')
      .option('--last-sync-date <date>', 'same as --lastSyncDate')
      .option('-m, --metadata <metadata>', 'metadata the sync sees instead of the stored one: JSON or @file.json')
      .option('-c, --checkpoint <checkpoint>', 'checkpoint the sync starts from: JSON or @file.json')
      .option('--variant <variant>', 'the variant of the sync to run')
      .option(
        '--validate, --validation',
        'fail on records that do not match their model (default: report them and keep going)',
      )
      .option(
        '--webhook <payload>',
        "run the sync's onWebhook handler with this provider notification: a .json file, @file.json or JSON",
      )
      .option('--save', 'store the records like a scheduled run')
      .option('--show <n>', 'records to print per model', '3'),
  ).action(
    (
      scriptName: string,
      connectionId: string,
      o: ApiClientOptions & {
        integration?: string;
        integrationId?: string;
        path: string;
        input?: string;
        lastSyncDate?: string;
        metadata?: string;
        checkpoint?: string;
        variant?: string;
        validation?: boolean;
        webhook?: string;
        save?: boolean;
        show: string;
      },
    ) =>
      run(async () => {
        const progress = createProgress();
        const integration = o.integrationId ?? o.integration;
        const dirs = (await integrationDirs(o.path)).filter(
          (d) => integration === undefined || path.basename(d) === integration,
        );
        const input = o.input === undefined ? undefined : await dryrunValue(o.input, 'input', true);
        const metadata = o.metadata === undefined ? undefined : await dryrunValue(o.metadata, 'metadata', false);
        const checkpoint =
          o.checkpoint === undefined ? undefined : await dryrunValue(o.checkpoint, 'checkpoint', false);
        const webhookPayload = o.webhook === undefined ? undefined : await webhookPayloadOf(o.webhook);
        const lastSyncDate = o.lastSyncDate === undefined ? undefined : new Date(o.lastSyncDate);
        if (lastSyncDate !== undefined && Number.isNaN(lastSyncDate.getTime()))
          throw new Error(`--lastSyncDate ${JSON.stringify(o.lastSyncDate)} is not a date`);
        let found: { key: string; script: CompiledScript } | undefined;
        for (const dir of dirs) {
          const script = (await progress.step(`Compiling ${path.basename(dir)}`, () => compileIntegration(dir))).find(
            (s) => s.name === scriptName,
          );
          if (script) {
            found = { key: path.basename(dir), script };
            break;
          }
        }
        if (found === undefined)
          throw new Error(`no script ${scriptName} under ${o.path}${integration ? ` for ${integration}` : ''}`);
        const script = found;
        const result = await progress.step(`Running ${scriptName} against ${connectionId}`, () =>
          requestDryrun(apiClient(o), script.key, script.script, connectionId, {
            ...(input !== undefined ? { input } : {}),
            save: o.save === true,
            last_sync_date: lastSyncDate?.toISOString() ?? null,
            ...(metadata !== undefined ? { metadata } : {}),
            ...(checkpoint !== undefined ? { checkpoint } : {}),
            ...(o.variant ? { variant: o.variant } : {}),
            validation: o.validation === true,
            ...(webhookPayload !== undefined ? { webhook_payload: webhookPayload } : {}),
          }),
        );
        printDryrun(result, script.script, out, Number(o.show), o.save === true);
      }),
  );
}
