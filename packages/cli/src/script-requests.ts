import type { CompiledScript } from '@weft/runner';
import type { apiClient } from './api-client.js';
import { createProgress, type Progress } from './progress.js';

/*
 * Compiled scripts sent to a running Weft — POST /deploy and POST /dryrun — and how the CLI prints
 * the answers. Shared by `weft deploy` / `weft dryrun` (script-commands.ts) and `weft dev`
 * (dev-command.ts), which script-commands.ts loads on demand: kept apart from both so neither
 * imports the other.
 */

const wire = (s: CompiledScript) => ({
  name: s.name,
  kind: s.kind,
  file: s.file,
  bundle: s.bundle,
  source_map: s.sourceMap,
  sources: s.sources,
  definition: s.definition,
});

interface DeployResponse {
  version: number | null;
  applied: boolean;
  diff: {
    addedSyncs: string[];
    removedSyncs: string[];
    changedSyncs: string[];
    addedActions: string[];
    removedActions: string[];
    changedActions: string[];
    addedOnEvents?: string[];
    removedOnEvents?: string[];
    changedOnEvents?: string[];
    removedModels: string[];
    destructive: boolean;
  };
}

function describeDiff(d: DeployResponse['diff']): string[] {
  const parts: Array<[string, string[]]> = [
    ['+ sync', d.addedSyncs],
    ['~ sync', d.changedSyncs],
    ['- sync', d.removedSyncs],
    ['+ action', d.addedActions],
    ['~ action', d.changedActions],
    ['- action', d.removedActions],
    ['+ on-event', d.addedOnEvents ?? []],
    ['~ on-event', d.changedOnEvents ?? []],
    ['- on-event', d.removedOnEvents ?? []],
    ['- model', d.removedModels],
  ];
  const lines = parts.flatMap(([label, names]) => names.map((n) => `  ${label} ${n}`));
  return lines.length > 0 ? lines : ['  (no changes)'];
}

type ApiCall = ReturnType<typeof apiClient>;

/** POST one compiled integration to /deploy and print the outcome and its diff. */
export async function deployCompiled(
  call: ApiCall,
  key: string,
  scripts: CompiledScript[],
  o: { force: boolean; dryRun: boolean },
  out: (line: string) => void,
  progress: Progress = createProgress(),
): Promise<DeployResponse> {
  const result = await progress.step(`${o.dryRun ? 'Checking' : 'Deploying'} ${key}`, () =>
    call<DeployResponse>('POST', '/deploy', {
      provider_config_key: key,
      scripts: scripts.map(wire),
      force: o.force,
      dry_run: o.dryRun,
    }),
  );
  out(result.applied ? `Deployed ${key} as version ${result.version}` : `${key}: dry run, nothing deployed`);
  for (const line of describeDiff(result.diff)) out(line);
  return result;
}

interface DryrunResponse {
  status?: string;
  counts?: Record<string, { added: number; updated: number; deleted: number }>;
  records?: Record<string, unknown[]>;
  logs: Array<{ level: string; message: string }>;
  error?: { code: string; message: string; stack?: string } | null;
  output?: unknown;
  invalid_records?: {
    count: number;
    records: Array<{ model: string; recordId: string; path: string; reason: string }>;
  } | null;
}

/** POST a compiled script to /dryrun. */
export function requestDryrun(
  call: ApiCall,
  key: string,
  script: CompiledScript,
  connectionId: string,
  body: Record<string, unknown> = {},
): Promise<DryrunResponse> {
  return call<DryrunResponse>('POST', '/dryrun', {
    provider_config_key: key,
    connection_id: connectionId,
    script: wire(script),
    save: false,
    ...body,
  });
}

/** Print a dryrun's logs, records or output; throws when the run failed. */
export function printDryrun(
  result: DryrunResponse,
  script: CompiledScript,
  out: (line: string) => void,
  show: number,
  saved: boolean,
): void {
  for (const l of result.logs) out(`[${l.level}] ${l.message}`);
  if (script.kind === 'action') {
    out(JSON.stringify(result.output, null, 2));
    return;
  }
  for (const [model, records] of Object.entries(result.records ?? {})) {
    out(`${model}: ${records.length} record(s)`);
    for (const record of records.slice(0, show)) out(`  ${JSON.stringify(record)}`);
  }
  for (const [model, c] of Object.entries(result.counts ?? {}))
    out(`${model}: +${c.added} ~${c.updated} -${c.deleted}${saved ? ' (saved)' : ''}`);
  if (result.invalid_records)
    out(`${result.invalid_records.count} record(s) do not match their model (kept; --validation makes this fail)`);
  if (result.error)
    throw new Error(
      `${result.error.code}: ${result.error.message}${result.error.stack ? `\n${result.error.stack}` : ''}`,
    );
}

/** Dryrun a compiled script and print what it did (`weft dev --dryrun`). */
export async function dryrunCompiled(
  call: ApiCall,
  key: string,
  script: CompiledScript,
  connectionId: string,
  out: (line: string) => void,
): Promise<void> {
  printDryrun(await requestDryrun(call, key, script, connectionId), script, out, 3, false);
}
