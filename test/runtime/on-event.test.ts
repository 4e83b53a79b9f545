import { connectionRowId } from '@weft/db';
import { readRecords } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { scriptOnTheWire } from '../helpers/script-wire.js';
import { json, Upstream } from '../proxy/upstream.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;

let h: ApiHarness;
let provider: Upstream;
// What the provider saw of the goodbye call, and how many records the connection had then.
const goodbyes: Array<{ body: unknown; recordsThen: number }> = [];
let rowId = connectionRowId(0);

const accounts: Record<string, { plan: string; name: string }> = {
  'key-pro': { plan: 'pro', name: 'Acme Pro' },
  'key-free': { plan: 'free', name: 'Tiny Free' },
};

beforeAll(async () => {
  h = await startApi();
  provider = await new Upstream().start();
  provider.handler = (req, res) => {
    const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    const url = new URL(req.url, provider.url);
    if (url.pathname === '/user') return json(res, 200, { login: 'someone' });
    if (url.pathname === '/account') return json(res, 200, accounts[key] ?? { plan: 'none', name: '?' });
    if (url.pathname === '/notes') return json(res, 200, { notes: [{ id: 'n1', text: 'hello' }] });
    if (url.pathname === '/goodbye') {
      void readRecords(h.db.pool, { connectionRowId: rowId, model: 'Note', limit: 100 }).then((page) => {
        goodbyes.push({ body: JSON.parse(req.body) as unknown, recordsThen: page.records.length });
        json(res, 200, { ok: true });
      });
      return;
    }
    json(res, 404, { error: 'no route' });
  };
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'events', provider: 'github-pat', overrides: { proxy: { base_url: provider.url } } },
  });
  const scripts = await compileIntegration(`${fixtures}events`);
  expect(scripts.filter((s) => s.kind === 'on-event').map((s) => [s.name, s.definition])).toEqual([
    ['fetch-tenant', expect.objectContaining({ kind: 'on-event', event: 'post-connection-creation' })],
    ['refuse-free-plans', expect.objectContaining({ kind: 'on-event', event: 'validate-connection' })],
    ['say-goodbye', expect.objectContaining({ kind: 'on-event', event: 'pre-connection-deletion' })],
  ]);
  // Through the API, as `weft deploy` sends them.
  const deployed = await h.api('/deploy', {
    method: 'POST',
    json: {
      provider_config_key: 'events',
      scripts: scripts.map((s) => scriptOnTheWire(s, s.sources)),
    },
  });
  expect(deployed.status).toBe(200);
  expect(((await deployed.json()) as Body).diff).toMatchObject({
    addedOnEvents: ['fetch-tenant', 'refuse-free-plans', 'say-goodbye'],
    removedOnEvents: [],
    changedOnEvents: [],
  });
}, 60_000);
afterAll(async () => {
  await provider.stop();
  await h.close();
});

async function connectWithKey(apiKey: string): Promise<Response> {
  const session = await h.api('/connect/sessions', {
    method: 'POST',
    json: { end_user: { id: `user-${apiKey}` }, allowed_integrations: ['events'] },
  });
  const token = ((await session.json()) as { data: { token: string } }).data.token;
  return fetch(`${h.url}/connect/credentials/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ connect_session_token: token, api_key: apiKey }),
  });
}

const eventRuns = async () =>
  (
    await h.db.pool.query<{ script_name: string; event: string; status: string; error: unknown; logs: unknown[] }>(
      'SELECT script_name, event, status, error, logs FROM on_event_runs ORDER BY created_at, finished_at',
    )
  ).rows;

describe('event scripts (createOnEvent) at the connection lifecycle', () => {
  it('validate-connection refuses a connection with the script message; nothing is stored', async () => {
    const response = await connectWithKey('key-free');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('WEFT_RUNNER_CONNECTION_REFUSED');
    expect(body.error.message).toContain('The free plan cannot be connected; upgrade to pro');
    const connections = (await h.get('/connections?integrationId=events')) as { connections: unknown[] };
    expect(connections.connections).toEqual([]);
    expect(await eventRuns()).toEqual([
      expect.objectContaining({
        script_name: 'refuse-free-plans',
        event: 'validate-connection',
        status: 'failed',
        error: expect.objectContaining({ message: 'The free plan cannot be connected; upgrade to pro' }),
      }),
    ]);
  });

  it('an accepted connection runs post-connection-creation, which writes metadata', async () => {
    const response = await connectWithKey('key-pro');
    expect(response.status).toBe(201);
    const { connection_id } = (await response.json()) as { connection_id: string };
    const connection = (await h.get(`/connection/${connection_id}?provider_config_key=events`)) as {
      id: number;
      metadata: Record<string, unknown>;
    };
    expect(connection.metadata).toEqual({ accountName: 'Acme Pro', plan: 'pro' });
    rowId = connectionRowId(connection.id);
    const runs = await eventRuns();
    expect(runs.slice(1).map((r) => [r.script_name, r.status])).toEqual([
      ['refuse-free-plans', 'success'],
      ['fetch-tenant', 'success'],
    ]);
    expect(JSON.stringify(runs[1]?.logs)).toContain('validated Acme Pro');
    // Logged like a run: the operation log lists event-script runs with their lines.
    const log = (await h.get('/logs?type=on-event&integration=events')) as Body;
    expect(JSON.stringify(log)).toContain('post-connection-creation fetch-tenant');
  });

  it('pre-connection-deletion runs before the connection and its records go', async () => {
    const { rows } = await h.db.pool.query<{ connection_id: string }>(
      'SELECT connection_id FROM connections WHERE id = $1',
      [rowId],
    );
    const connectionId = rows[0]?.connection_id ?? '';
    const result = await h.runner.runSync({
      environmentId: h.environmentId,
      connection: { id: rowId, providerConfigKey: 'events', connectionId },
      syncName: 'notes',
      mode: 'full',
      lastSyncDate: null,
    });
    expect(result.counts).toEqual({ Note: { added: 1, updated: 0, deleted: 0 } });
    const deleted = await h.api(`/connection/${connectionId}?provider_config_key=events`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(goodbyes).toEqual([{ body: { accountName: 'Acme Pro' }, recordsThen: 1 }]);
    const after = await readRecords(h.db.pool, { connectionRowId: rowId, model: 'Note', limit: 100 });
    expect(after.records).toEqual([]);
    expect((await eventRuns()).at(-1)).toMatchObject({
      script_name: 'say-goodbye',
      event: 'pre-connection-deletion',
      status: 'success',
    });
  });
});
