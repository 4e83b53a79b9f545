import { randomBytes } from 'node:crypto';
import { resolveConfig } from '@weft/core';
import { freePort } from '@weft/db';
import { compileIntegration } from '@weft/runner';
import { browse } from '../test/auth/browse.js';
import { startMicrosoftGraphFake } from '../test/fakes/microsoft-graph.js';
import { startMicrosoftIdentityFake } from '../test/fakes/microsoft-identity.js';
import { scriptOnTheWire } from '../test/helpers/script-wire.js';
import { startBenchDatabase } from './bench-database.js';
import { defineBench, median, percentile } from './harness.js';

const CHANGES = Number(process.env.WEFT_BENCH_WEBHOOK_CHANGES ?? 200);
/** Changes found by the schedule alone: each waits for the next run, so a few suffice (each costs up to a period). */
const SCHEDULE_SAMPLES = Number(process.env.WEFT_BENCH_WEBHOOK_SCHEDULE_SAMPLES ?? 3);
/** The fastest schedule Weft allows (a frequency under 30 seconds is refused). */
const FASTEST_SCHEDULE = 'every 30 seconds';
const KEY = 'one-drive-personal';

/**
 * Change in OneDrive → record readable through `GET /records`, the whole production path: `weft
 * start` (startWeft) on its own database, the Graph fake posting change notifications to
 * `/webhook/<env>/<integration>` (stored, verified, routed, a delta run queued) and the shipped
 * one-drive-personal sync. The baseline is the same kind of change found by the fastest schedule
 * Weft allows, with Graph's notifications switched off, in the same run.
 */
export default defineBench({
  name: 'webhook',
  description: `change in the Graph fake → record readable in Weft, ${CHANGES} changes via notifications vs ${SCHEDULE_SAMPLES} via the ${FASTEST_SCHEDULE} schedule`,
  async run(report) {
    const db = await startBenchDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const identity = await startMicrosoftIdentityFake({
      clients: { app: { secret: 'bench-secret', redirectUris: [`${url}/oauth/callback`] } },
    });
    const graph = await startMicrosoftGraphFake({
      identity,
      seed: { seed: 7, files: 50, folderDepth: 1, foldersPerFolder: 2, largeFiles: 0 },
    });
    const lines: string[] = [];
    // Imported here so the bench file loads without pulling in the whole CLI when it is not run.
    const { startWeft } = await import('@weft/cli');
    const weft = await startWeft(
      resolveConfig({
        DATABASE_URL: db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        WEFT_PUBLIC_URL: url,
        WEFT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        WEFT_ALLOW_PRIVATE_NETWORK: 'true',
        LOG_LEVEL: 'silent',
      }),
      { out: (line) => lines.push(line) },
    );
    try {
      const secret = /Secret key: (\S+)/.exec(lines.join('\n'))?.[1];
      if (secret === undefined) throw new Error('weft start printed no secret key');
      const api = async (path: string, method = 'GET', json?: unknown) => {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${secret}`,
            ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        });
        const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
        return body;
      };
      await api('/integrations', 'POST', {
        unique_key: KEY,
        provider: KEY,
        credentials: { client_id: 'app', client_secret: 'bench-secret' },
        overrides: {
          authorization_url: `${identity.url}/consumers/oauth2/v2.0/authorize`,
          token_url: `${identity.url}/consumers/oauth2/v2.0/token`,
          proxy: { base_url: graph.baseUrl },
        },
      });
      const session = (await api('/connect/sessions', 'POST', { end_user: { id: 'bench' } })).data as { token: string };
      const page = await browse(`${url}/oauth/connect/${KEY}?connect_session_token=${session.token}`);
      if (!page.body.includes('data-state="connected"')) throw new Error('the bench connection failed');
      const connections = (await api(`/connections?provider_config_key=${KEY}`)).connections as Array<{
        connection_id: string;
      }>;
      const connectionId = connections[0]?.connection_id ?? '';
      const headers = { authorization: `Bearer ${secret}`, 'connection-id': connectionId, 'provider-config-key': KEY };
      const scripts = await compileIntegration(new URL(`../integrations/${KEY}`, import.meta.url).pathname);
      await api('/deploy', 'POST', {
        provider_config_key: KEY,
        scripts: scripts.map((s) => scriptOnTheWire(s, s.sources)),
      });
      if (graph.subscriptions.list().length !== 1) throw new Error('deploy created no Graph subscription');

      let cursor: string | undefined;
      /** Follow the records cursor until `id` shows up. */
      const readUntil = async (id: string): Promise<void> => {
        for (;;) {
          const res = await fetch(`${url}/records?model=DriveItem&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
            headers,
          });
          const body = (await res.json()) as {
            records: Array<{ id: string; _nango_metadata: { cursor: string } }>;
            next_cursor: string | null;
          };
          const last = body.records.at(-1);
          if (last !== undefined) cursor = last._nango_metadata.cursor;
          if (body.records.some((r) => r.id === id)) return;
          if (body.next_cursor === null) await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      // The drive as it is, before any timed change.
      const seed = graph.allItems().at(-1);
      await api('/sync/trigger', 'POST', { provider_config_key: KEY, syncs: ['files'] });
      await readUntil(String(seed?.id));

      const notified: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const started = performance.now();
        const file = graph.addFile(graph.rootId, { name: `notified-${i}.txt`, content: String(i) });
        await readUntil(String(file.id));
        notified.push(performance.now() - started);
      }

      // Baseline: Graph stops notifying; the fastest schedule finds the changes. Each change is made
      // at a random moment of the period, as changes are.
      graph.subscriptions.loseNext(Number.MAX_SAFE_INTEGER);
      await api('/sync/update-connection-frequency', 'PUT', {
        provider_config_key: KEY,
        sync_name: 'files',
        connection_id: connectionId,
        frequency: FASTEST_SCHEDULE,
      });
      const scheduled: number[] = [];
      for (let i = 0; i < SCHEDULE_SAMPLES; i++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 30_000));
        const started = performance.now();
        const file = graph.addFile(graph.rootId, { name: `scheduled-${i}.txt`, content: String(i) });
        await readUntil(String(file.id));
        scheduled.push(performance.now() - started);
      }

      report({
        metric: 'change_to_record_p50',
        value: median(notified),
        baseline: median(scheduled),
        unit: 'ms',
        higherIsBetter: false,
        target: 1,
        maxValue: 1000,
        baselineLabel: `${FASTEST_SCHEDULE} schedule, no notifications`,
      });
      report({
        metric: 'change_to_record_p99',
        value: percentile(notified, 99),
        baseline: percentile(scheduled, 99),
        unit: 'ms',
        higherIsBetter: false,
        target: 1,
        baselineLabel: `${FASTEST_SCHEDULE} schedule, no notifications`,
      });
    } finally {
      await weft.stop();
      await graph.close();
      await identity.close();
      await db.stop();
    }
  },
});
