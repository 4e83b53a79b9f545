import type { SyncStatusJson } from '@weft/server';
import type { Command } from 'commander';
import { type ApiClientOptions, apiClient } from './api-client.js';
import { createProgress } from './progress.js';

/** The sync status answer, as the API contract declares it. */
type SyncStatus = SyncStatusJson;

/** `weft sync trigger|pause|start|status|frequency` — the /sync/* control API from a terminal. */
export function registerSyncCommands(
  program: Command,
  out: (line: string) => void,
  run: (fn: () => Promise<void>) => Promise<void>,
): void {
  const group = program
    .command('sync')
    .description('Trigger, pause, resume and inspect scheduled syncs')
    .option('--api-url <url>', 'Weft API URL (or WEFT_API_URL)')
    .option('--secret-key <key>', 'secret key (or WEFT_SECRET_KEY)');
  const client = () => apiClient(group.opts<ApiClientOptions>());
  const selector = (key: string, syncs: string | undefined, connection: string | undefined) => ({
    provider_config_key: key,
    ...(syncs ? { syncs: syncs.split(',') } : {}),
    ...(connection ? { connection_id: connection } : {}),
  });

  group
    .command('trigger <integration> [syncs]')
    .description('Run now (comma-separated sync names; all syncs when omitted)')
    .option('-c, --connection <id>', 'only this connection')
    .option('--full', 'full resync: clear the checkpoint first')
    .option(
      '--reset',
      'full resync that replaces the records: whatever the run does not save is deleted (on success only)',
    )
    .option('--wait', 'wait until the triggered runs finish and print their outcome')
    .action(
      (
        key: string,
        syncs: string | undefined,
        o: { connection?: string; full?: boolean; reset?: boolean; wait?: boolean },
      ) =>
        run(async () => {
          const mode = o.reset ? 'full_refresh_and_clear_cache' : o.full ? 'full_refresh' : undefined;
          const body = { ...selector(key, syncs, o.connection), ...(mode ? { sync_mode: mode } : {}) };
          const { runs } = await client()<{ runs: string[] }>('POST', '/sync/trigger', body);
          out(runs.length > 0 ? `Queued ${runs.length} run(s)` : 'Already queued: the pending run will pick it up');
          if (!o.wait) return;
          const progress = createProgress();
          for (;;) {
            const params = new URLSearchParams({
              provider_config_key: key,
              ...(syncs ? { syncs } : {}),
              ...(o.connection ? { connection_id: o.connection } : {}),
            });
            const { syncs: list } = await client()<{ syncs: SyncStatus[] }>('GET', `/sync/status?${params}`);
            const busy = list.filter((s) => s.status === 'RUNNING');
            if (busy.length === 0) {
              progress.clear();
              for (const s of list) out(describe(s));
              if (list.some((s) => s.status === 'ERROR')) process.exitCode = 1;
              return;
            }
            progress.tick(`${busy.length} sync(s) running…`);
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }),
    );

  for (const [name, path, verb] of [
    ['pause', '/sync/pause', 'Paused'],
    ['start', '/sync/start', 'Resumed'],
  ] as const) {
    group
      .command(`${name} <integration> [syncs]`)
      .option('-c, --connection <id>', 'only this connection')
      .action((key: string, syncs: string | undefined, o: { connection?: string }) =>
        run(async () => {
          const result = await client()<Record<string, number>>('POST', path, selector(key, syncs, o.connection));
          out(`${verb} ${result.paused ?? result.started ?? 0} schedule(s)`);
        }),
      );
  }

  group
    .command('status <integration> [syncs]')
    .option('-c, --connection <id>', 'only this connection')
    .action((key: string, syncs: string | undefined, o: { connection?: string }) =>
      run(async () => {
        const params = new URLSearchParams({
          provider_config_key: key,
          ...(syncs ? { syncs } : {}),
          ...(o.connection ? { connection_id: o.connection } : {}),
        });
        const { syncs: list } = await client()<{ syncs: SyncStatus[] }>('GET', `/sync/status?${params}`);
        for (const s of list) out(describe(s));
      }),
    );

  group
    .command('frequency <integration> <sync> <connection> <frequency>')
    .description('Per-connection frequency, e.g. "every 15 minutes"; "default" restores the script\'s')
    .action((key: string, sync: string, connection: string, frequency: string) =>
      run(async () => {
        await client()('PUT', '/sync/update-connection-frequency', {
          provider_config_key: key,
          sync_name: sync,
          connection_id: connection,
          frequency: frequency === 'default' ? null : frequency,
        });
        out(`${sync} of ${connection}: ${frequency}`);
      }),
    );
}

function describe(s: SyncStatus): string {
  const counts = Object.entries(s.latestResult ?? {})
    .map(([model, c]) => `${model} +${c.added} ~${c.updated} -${c.deleted}`)
    .join(', ');
  const next = s.nextScheduledSyncAt ? ` next ${s.nextScheduledSyncAt}` : '';
  const latest = s.latestError as { code?: string; message?: string } | null;
  const error = latest ? ` error ${latest.code}: ${latest.message}` : '';
  return `${s.connection_id}  ${s.name}  ${s.status}${counts ? `  ${counts}` : ''}${next}${error}`;
}
