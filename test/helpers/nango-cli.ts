import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The pinned Nango CLI from devDependencies (`nango` 0.71.10). */
const nangoPackage = path.join(repoRoot, 'node_modules', 'nango');
const nangoBin = path.join(nangoPackage, 'dist', 'index.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Give a Nango project the `node_modules` a team's `npm install` would: the pinned CLI and the
 * zod it is built against (its own copy, so the CLI's type-check sees one zod), as symlinks —
 * no registry, no network.
 */
export async function linkNangoDependencies(projectDir: string): Promise<void> {
  const modules = path.join(projectDir, 'node_modules');
  await mkdir(modules, { recursive: true });
  await symlink(nangoPackage, path.join(modules, 'nango'), 'dir');
  await symlink(path.join(nangoPackage, 'node_modules', 'zod'), path.join(modules, 'zod'), 'dir');
}

/**
 * Why the installed CLI cannot read a nango.yaml, or undefined when it can. The CLI validates
 * nango.yaml with its `ajv` plus the `ajv-errors` plugin; the plugin builds code with the codegen
 * classes of the `ajv` *it* resolves. When that is another copy than the CLI's, every generated
 * name is serialised as `{"str":…}` and `nango migrate-to-zero-yaml` prints "Unexpected token ':'"
 * / "Failed to compile" — and still exits 0. package.json's `overrides: { ajv }` gives one copy;
 * an install older than that override (nango/node_modules/ajv 8.18.0 left behind) gives two.
 */
export function nangoYamlValidatorProblem(): string | undefined {
  const fromNango = createRequire(path.join(nangoPackage, 'package.json'));
  const ajvOfNango = realpathSync(fromNango.resolve('ajv'));
  const ajvErrors = realpathSync(fromNango.resolve('ajv-errors'));
  const ajvOfPlugin = realpathSync(createRequire(ajvErrors).resolve('ajv'));
  if (ajvOfNango === ajvOfPlugin) return undefined;
  return (
    `node_modules does not match package-lock.json: the Nango CLI loads ${ajvOfNango} but its ajv-errors ` +
    `loads ${ajvOfPlugin}, so it cannot validate nango.yaml. Reinstall with \`npm ci\`.`
  );
}

/**
 * Run the Nango CLI in `cwd` with only `env` on top of PATH and a throwaway HOME (its state file
 * goes there), telemetry and upgrade checks off so it never leaves loopback. Resolves when the
 * process exits — the CLI takes seconds to start on a busy machine, so nothing waits on time.
 */
export function runNangoCli(
  args: string[],
  options: { cwd: string; home: string; env?: Record<string, string> },
): Promise<CliResult> {
  const child = spawn(process.execPath, [nangoBin, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.home,
      NANGO_CLI_UPGRADE_MODE: 'ignore',
      NANGO_CLI_TELEMETRY: 'false',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Flags every scripted CLI call passes: no prompts, no npm install, no telemetry. */
export const NON_INTERACTIVE = ['--no-interactive', '--no-dependency-update', '--no-telemetry'];
