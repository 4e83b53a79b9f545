import type { Command } from 'commander';
import { type ApiClientOptions, apiClient } from './api-client.js';

interface Operation {
  type: string;
  id: string;
  provider_config_key: string | null;
  connection_id: string | null;
  name: string;
  state: string;
  at: string;
  message: string | null;
  messages: Array<{ level: string; message: string; at: string }>;
}

function lines(op: Operation): string[] {
  const who = [op.provider_config_key, op.connection_id].filter(Boolean).join('/');
  const head = `${op.at}  ${op.type.padEnd(7)} ${op.state.padEnd(9)} ${op.name}${who ? `  [${who}]` : ''}${op.message ? `  ${op.message}` : ''}`;
  return [head, ...op.messages.map((m) => `    ${m.level.padEnd(5)} ${m.message}`)];
}

/** `weft logs [--follow]`: the operation log (sync runs with their log lines, proxy calls, webhooks, auth events). */
export function registerLogsCommand(
  program: Command,
  out: (line: string) => void,
  run: (fn: () => Promise<void>) => Promise<void>,
): void {
  program
    .command('logs')
    .description('Show what syncs, proxy calls, webhooks and auth did; --follow keeps printing new entries')
    .option('-c, --connection <id>')
    .option('-i, --integration <key>')
    .option('-n, --name <text>', 'sync name, URL or event type contains')
    .option('-s, --state <state>', 'success, failed, running, …')
    .option('-t, --type <types>', 'sync, action, proxy, webhook, auth (comma-separated)')
    .option('--limit <n>', 'entries to show first', '50')
    .option('-f, --follow', 'keep polling for new entries')
    .option('--api-url <url>', 'Weft API URL (or WEFT_API_URL)')
    .option('--secret-key <key>', 'secret key (or WEFT_SECRET_KEY)')
    .action(
      (
        o: ApiClientOptions & {
          connection?: string;
          integration?: string;
          name?: string;
          state?: string;
          type?: string;
          limit: string;
          follow?: boolean;
        },
      ) =>
        run(async () => {
          const call = apiClient(o);
          const base = {
            ...(o.connection ? { connection_id: o.connection } : {}),
            ...(o.integration ? { integration: o.integration } : {}),
            ...(o.name ? { name: o.name } : {}),
            ...(o.state ? { state: o.state } : {}),
            ...(o.type ? { type: o.type } : {}),
          };
          let since: string | undefined;
          for (;;) {
            const params = new URLSearchParams({
              ...base,
              limit: since ? '1000' : o.limit,
              ...(since ? { since } : {}),
            });
            const { operations } = await call<{ operations: Operation[] }>('GET', `/logs?${params}`);
            for (const op of [...operations].reverse()) for (const line of lines(op)) out(line);
            if (operations[0]) since = operations[0].at;
            if (!o.follow) return;
            await new Promise((resolve) => setTimeout(resolve, 1_000));
          }
        }),
    );
}
