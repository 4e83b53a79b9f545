import { type Dirent, type FSWatcher, readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { compileIntegration } from '@weft/runner';
import type { ApiClientOptions } from './api-client.js';
import { apiClient } from './api-client.js';
import { integrationDirs } from './integration-dirs.js';
import { deployCompiled, dryrunCompiled } from './script-requests.js';

export interface DevOptions extends ApiClientOptions {
  /** Only type-check and bundle on save; talk to no Weft. @default false (deploy) */
  deploy: boolean;
  /** Instead of deploying, run this script against this connection on every save. */
  dryrun?: { script: string; connection: string };
  out: (line: string) => void;
}

export interface DevSession {
  /** Resolves once the first round (compile, then deploy or dryrun) of every integration is done. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Files whose content decides a compile; everything else in the folder (editor swap files, …) is
 * noise. A compile writes nothing into the integration folder (esbuild keeps its output in
 * memory; a legacy nango.yaml's generated models.ts lives beside nango.yaml, above it), so a
 * round never triggers the next.
 */
const WATCHED = /\.(ts|mts|js|mjs|json|ya?ml)$/;
/** Edits arriving within this window (an editor's write + rename, a formatter) make one round. */
const SETTLE_MS = 60;

/**
 * Watch every directory under `root` with one plain (non-recursive) watcher each, adding new
 * directories as they appear. Node 20's `recursive: true` on Linux is emulated with one watcher
 * per file, which it drops when a stat of the file looks like a deletion — after which saves to
 * that file were never reported again.
 */
function watchTree(root: string, onChange: (file: string | null) => void): { close(): void } {
  const watchers = new Map<string, FSWatcher>();
  const add = (dir: string) => {
    if (!watchers.has(dir)) {
      try {
        const watcher = watch(dir, (event, file) => {
          if (event === 'rename') add(root);
          onChange(file === null ? null : String(file));
        });
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, watcher);
      } catch {
        return;
      }
    }
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {}
    for (const entry of entries)
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
        add(path.join(dir, entry.name));
  };
  add(root);
  return {
    close() {
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/** `file:line:col: message` lines of a failed compile, with paths a terminal or editor can open. */
function problemLines(dir: string, error: unknown): string[] {
  const problems = (error as { details?: { problems?: unknown } }).details?.problems;
  const relative = path.relative(process.cwd(), dir) || '.';
  if (Array.isArray(problems)) return problems.map((problem) => `${path.join(relative, String(problem))}`);
  return [`${relative}: ${(error as Error).message}`];
}

/**
 * `weft dev [path]`: compile each integration under path, deploy it to a local Weft (or run a
 * chosen dryrun), then watch the folder and do it again on every save. Compiles reuse the
 * previous TypeScript program, bundles and definitions (see runner/src/compile.ts), so a save
 * re-checks only what changed. Errors print as file:line:col and the loop keeps watching.
 */
export async function startDev(target: string, options: DevOptions): Promise<DevSession> {
  const { out } = options;
  const dirs = await integrationDirs(target);
  if (dirs.length === 0) throw new Error(`no integration under ${target} (expected syncs/ or actions/ folders)`);
  const call = apiClient(options);
  const watchers: Array<{ close(): void }> = [];

  const round = async (dir: string) => {
    const key = path.basename(dir);
    const started = performance.now();
    let scripts: Awaited<ReturnType<typeof compileIntegration>>;
    try {
      scripts = await compileIntegration(dir);
    } catch (error) {
      out(`${key}: compile failed`);
      for (const line of problemLines(dir, error)) out(line);
      return;
    }
    out(`${key}: compiled ${scripts.length} script(s) in ${Math.round(performance.now() - started)} ms`);
    if (!options.deploy) return;
    try {
      if (options.dryrun) {
        const script = scripts.find((s) => s.name === options.dryrun?.script);
        if (script === undefined) {
          out(`${key}: no script ${options.dryrun.script} to dryrun`);
          return;
        }
        await dryrunCompiled(call, key, script, options.dryrun.connection, out);
      } else {
        await deployCompiled(call, key, scripts, { force: false, dryRun: false }, out);
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      out(`${key}: ${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`);
    }
  };

  // One round at a time per integration; saves during a round make exactly one more.
  const state = new Map<string, { running?: Promise<void>; again: boolean; timer?: NodeJS.Timeout }>();
  const schedule = (dir: string) => {
    const s = state.get(dir) ?? { again: false };
    state.set(dir, s);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (s.running) {
        s.again = true;
        return;
      }
      const go = async (): Promise<void> => {
        s.again = false;
        await round(dir);
        if (s.again) return go();
      };
      s.running = go()
        .catch((error: unknown) => out(`${path.basename(dir)}: ${(error as Error).message}`))
        .finally(() => {
          s.running = undefined;
        });
    }, SETTLE_MS);
  };

  const ready = (async () => {
    for (const dir of dirs) {
      // Watch before the first round, so a save during it is not missed.
      watchers.push(
        watchTree(dir, (file) => {
          if (file === null || WATCHED.test(file)) schedule(dir);
        }),
      );
      await round(dir);
    }
    out(`Watching ${dirs.map((d) => path.relative(process.cwd(), d) || '.').join(', ')} (Ctrl-C to stop)`);
  })();

  return {
    ready,
    async stop() {
      for (const watcher of watchers) watcher.close();
      for (const s of state.values()) clearTimeout(s.timer);
      await Promise.all([...state.values()].map((s) => s.running));
    },
  };
}
