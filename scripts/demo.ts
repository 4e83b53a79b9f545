import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWeft } from '@weft/cli';
import { resolveConfig } from '@weft/core';
import { compileIntegration } from '@weft/runner';
import { browse } from '../test/auth/browse.js';
import { startMicrosoftGraphFake } from '../test/fakes/microsoft-graph.js';
import { startMicrosoftIdentityFake } from '../test/fakes/microsoft-identity.js';
import { scriptOnTheWire } from '../test/helpers/script-wire.js';

/**
 * `npm run demo`: the whole product offline in one command. Starts the Microsoft identity and
 * Graph fakes, Weft on a throwaway embedded Postgres, connects a demo OneDrive account through the
 * real OAuth flow, deploys integrations/one-drive-personal and shows records arriving while a
 * fake user keeps adding files. `--once` stops after the first changes (used by the test).
 */
const once = process.argv.includes('--once');
const say = (line: string) => process.stdout.write(`${line}\n`);

const dataRoot = await mkdtemp(path.join(tmpdir(), 'weft-demo-'));
await chmod(dataRoot, 0o755); // the embedded Postgres user must traverse it when run as root
const identityClient = { id: 'weft-demo-app', secret: 'demo-secret' };
const port = Number(process.env.PORT ?? 3003);
const config = resolveConfig({
  WEFT_DATA_DIR: path.join(dataRoot, 'data'),
  PORT: String(port),
  LOG_LEVEL: 'warn',
  WEFT_ALLOW_PRIVATE_NETWORK: 'true', // the fakes listen on loopback
  WEFT_SCHEDULER_TIME_SCALE: String(5 / 3600), // 'every hour' runs every 5 s in the demo
});
const identity = await startMicrosoftIdentityFake({
  clients: {
    [identityClient.id]: {
      secret: identityClient.secret,
      redirectUris: [`http://localhost:${port}/oauth/callback`, `http://127.0.0.1:${port}/oauth/callback`],
    },
  },
});
const graph = await startMicrosoftGraphFake({
  identity,
  seed: { seed: 42, files: 120, folderDepth: 2, largeFiles: 0 },
});
const lines: string[] = [];
const weft = await startWeft(config, { out: (line) => lines.push(line) });
const secretKey = lines.find((l) => l.startsWith('Secret key: weft_sk_'))?.slice('Secret key: '.length) ?? '';
const api = async <T>(
  route: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<T> => {
  const response = await fetch(`${weft.url}${route}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${secretKey}`,
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const body = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(`${route}: ${body.error?.code} ${body.error?.message}`);
  return body;
};

// One stop, whoever asks first (Ctrl-C, --once, a failure); later callers wait for the same
// one. Exiting from a second caller used to cut the shutdown short.
let stopping: Promise<never> | undefined;
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    await weft.stop();
    await graph.close();
    await identity.close();
    await rm(dataRoot, { recursive: true, force: true });
    process.exit(code);
  })();
  return stopping;
}
const interrupt = () => {
  if (stopping) return;
  say('Stopping the demo (its data is deleted)…');
  void stop(0);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

try {
  say(`Weft is running: ${weft.url}  (dashboard ${weft.url}/dashboard, secret key ${secretKey})`);
  await api('/integrations', {
    method: 'POST',
    json: {
      unique_key: 'one-drive-personal',
      provider: 'one-drive-personal',
      credentials: { client_id: identityClient.id, client_secret: identityClient.secret },
      overrides: {
        authorization_url: `${identity.url}/consumers/oauth2/v2.0/authorize`,
        token_url: `${identity.url}/consumers/oauth2/v2.0/token`,
        proxy: { base_url: graph.baseUrl },
      },
    },
  });
  const { data: session } = await api<{ data: { token: string } }>('/connect/sessions', {
    method: 'POST',
    json: { end_user: { id: 'demo-user' } },
  });
  const connected = await browse(`${weft.url}/oauth/connect/one-drive-personal?connect_session_token=${session.token}`);
  if (!connected.body.includes('data-state="connected"')) throw new Error('the demo account could not connect');
  const { connections } = await api<{ connections: Array<{ connection_id: string }> }>('/connections');
  const connectionId = connections[0]?.connection_id ?? '';
  say(`Connected a demo OneDrive account through OAuth (connection ${connectionId})`);
  const scripts = await compileIntegration(path.resolve('integrations/one-drive-personal'));
  await api('/deploy', {
    method: 'POST',
    json: {
      provider_config_key: 'one-drive-personal',
      scripts: scripts.map((s) => scriptOnTheWire(s, s.sources)),
    },
  });
  say('Deployed integrations/one-drive-personal; the files sync runs every few seconds');
  let cursor: string | undefined;
  let total = 0;
  for (let tick = 0; ; tick++) {
    const page = await api<{
      records: Array<{ id: string; name: string; _nango_metadata: { last_action: string; cursor: string } }>;
      next_cursor: string | null;
    }>(`/records?model=DriveItem&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { 'connection-id': connectionId, 'provider-config-key': 'one-drive-personal' },
    });
    for (const record of page.records) {
      total +=
        record._nango_metadata.last_action === 'ADDED' ? 1 : record._nango_metadata.last_action === 'DELETED' ? -1 : 0;
      if (page.records.length <= 5) say(`  ${record._nango_metadata.last_action.padEnd(7)} ${record.name}`);
    }
    if (page.records.length > 0) {
      cursor = page.records.at(-1)?._nango_metadata.cursor;
      say(`${page.records.length} change(s) received → ${total} items in Weft`);
      if (once && tick > 0) await stop(0);
    }
    if (tick > 0 && tick % 6 === 0) {
      const added = graph.addFile(graph.rootId, {
        name: `demo-note-${tick}.txt`,
        content: `written at ${new Date().toISOString()}`,
      });
      say(`(the demo user added ${String(added.name)} to their OneDrive)`);
    }
    if (once && tick > 200) throw new Error('no records arrived');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
} catch (error) {
  // A request cut off by the demo's own shutdown is not a failure.
  if (stopping) await stopping;
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  await stop(1);
}
