import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseProviders } from '@weft/auth';
import { compileIntegration } from '@weft/runner';
import { catalogueRuleRouter, WebhookRouterRegistry } from '@weft/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';
import { scriptOnTheWire } from '../helpers/script-wire.js';
import { spawnWeft } from '../helpers/weft-process.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually } from '../scheduler/helpers.js';
import {
  createWebhookConnection,
  createWebhookIntegration,
  eventRecords,
  HOOKY_PROVIDERS_YAML,
  holdScheduledRuns,
} from './hooky.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const tmpRoot = new URL('../.tmp/', import.meta.url).pathname;

const catalogue = parseProviders(HOOKY_PROVIDERS_YAML, 'test-providers.yaml');

let h: ApiHarness;
let api: DemoApi;
let work: string;

async function connect(integration: string, connectionId: string, account: string): Promise<void> {
  await createWebhookIntegration(h.api, integration, { baseUrl: api.url });
  await createWebhookConnection(h.api, integration, connectionId, account);
}

beforeAll(async () => {
  h = await startApi({
    providers: catalogue,
    scheduler: {
      concurrency: 1,
      tickMs: 200,
      webhookRouters: new WebhookRouterRegistry().register(catalogueRuleRouter(catalogue)),
    },
  });
  api = await startDemoApi(3);
  await connect('webhooks-legacy', 'conn-l', 'acct-l');
  await connect('webhooks', 'conn-d', 'acct-d');
  await h.runner.deploy(h.environmentId, 'webhooks-legacy', await compileIntegration(`${fixtures}webhooks-legacy`));
  await holdScheduledRuns(h.db.pool);
  // test/.tmp is not in git: on a fresh clone this suite may be the first to need it.
  await mkdir(tmpRoot, { recursive: true });
  work = await mkdtemp(path.join(tmpRoot, 'webhook-dryrun-'));
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await api?.stop();
  await h?.close();
});

describe('nango.yaml webhook-subscriptions (legacy scripts)', () => {
  it('records the subscriptions and runs the exported onWebhookPayloadReceived for a subscribed notification', async () => {
    const [sync] = await h.runner.scriptsConfig(h.environmentId, 'webhooks-legacy');
    expect(sync?.definition).toMatchObject({ webhookSubscriptions: ['item.created'], webhookHandler: true });
    const response = await fetch(`${h.url}/webhook/dev/webhooks-legacy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'item.created', account: { id: 'acct-l' }, item: { id: 'l-1' } }),
    });
    expect(response.status).toBe(200);
    const saved = await eventually(async () => {
      const found = await eventRecords(h.api, 'webhooks-legacy', 'conn-l');
      return found.length > 0 ? found : undefined;
    });
    expect(saved).toEqual([expect.objectContaining({ id: 'l-1', via: 'legacy-webhook', account: 'acct-l' })]);
  });
});

describe('weft dryrun --webhook', () => {
  async function weft(args: string[]) {
    const run = spawnWeft(args, { WEFT_API_URL: h.url, WEFT_SECRET_KEY: h.secretKey });
    const code = await run.exited;
    return { code, stdout: run.stdout.join('\n'), stderr: run.stderr.join('\n') };
  }

  it('runs the local handler with the payload file against the live connection and saves nothing', async () => {
    const payload = path.join(work, 'payload.json');
    await writeFile(payload, JSON.stringify({ type: 'item.created', account: { id: 'acct-d' }, item: { id: 'd-1' } }));
    const result = await weft([
      'dryrun',
      '--webhook',
      payload,
      'events',
      'conn-d',
      '--path',
      fixtures,
      '--integration',
      'webhooks',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('[info] webhook item.created for conn-d');
    expect(result.stdout).toContain('Event: 1 record(s)');
    expect(result.stdout).toContain('"id":"d-1"');
    expect(result.stdout).toContain(`"webhookUrl":"${h.url}/webhook/dev/webhooks"`);
    const { rows } = await h.db.pool.query(
      `SELECT 1 FROM records r JOIN connections c ON c.id = r.connection_id WHERE c.connection_id = 'conn-d'`,
    );
    expect(rows).toHaveLength(0);
  }, 240_000); // the CLI starts as its own process, slow on a busy machine

  it('a sync without a webhook handler is refused with a clear code', async () => {
    const [items] = await compileIntegration(`${fixtures}demo`).then((all) => all.filter((s) => s.kind === 'sync'));
    if (items === undefined) throw new Error('the demo fixture has a sync');
    const response = await h.api('/dryrun', {
      method: 'POST',
      json: {
        provider_config_key: 'webhooks',
        connection_id: 'conn-d',
        script: scriptOnTheWire(items),
        webhook_payload: { type: 'x' },
      },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).error.code).toBe('WEFT_RUNNER_NO_WEBHOOK_HANDLER');
  });
});
