import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import chromium from '@sparticuz/chromium';
import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { type Browser, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const artifacts = new URL('../../test-artifacts/dashboard/', import.meta.url).pathname;

let h: ApiHarness;
let api: DemoApi;
let receiver: Server;
let deliveries: WebhookDeliveryWorker;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  h = await startApi({ scheduler: { concurrency: 2, tickMs: 100 } });
  api = await startDemoApi(30);
  receiver = createServer((_req, res) => res.end('ok'));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  await h.api('/webhooks/settings', {
    method: 'PUT',
    json: { primary_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` },
  });
  deliveries = createWebhookDeliveryWorker({ pool: h.db.pool, box: h.box, policy: { pollMs: 25 } });
  await deliveries.start();
  await h.api('/integrations', {
    method: 'POST',
    json: { unique_key: 'demo', provider: 'github-pat', overrides: { proxy: { base_url: api.url } } },
  });
  await h.api('/connection', {
    method: 'POST',
    json: {
      connection_id: 'c1',
      provider_config_key: 'demo',
      credentials: { type: 'API_KEY', apiKey: 'ghp_dashboard_secret' },
    },
  });
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
  await h.api('/sync/trigger', { method: 'POST', json: { provider_config_key: 'demo', syncs: ['items'] } });
  await eventually(
    async () => (await runsOf(h.db.pool, 'items')).some((r) => r.status === 'success'),
    20_000,
    'first run',
  );
  await eventually(
    async () => (await h.db.pool.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'delivered'`)).rowCount,
    20_000,
    'a delivered webhook',
  );
  browser = await playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await deliveries.stop();
  receiver.closeAllConnections();
  receiver.close();
  await api.stop();
  await h.close();
});

async function visit(hash: string, view: string, shot: string): Promise<string> {
  await page.goto(`${h.url}/dashboard${hash}`);
  await page.waitForSelector(`#main[data-view="${view}"]`);
  await page.screenshot({ path: `${artifacts}${shot}.png`, fullPage: true });
  return (await page.textContent('#main')) ?? '';
}

describe('dashboard in headless Chromium', () => {
  it('signs in with the secret key and shows every page without console errors', async () => {
    await page.goto(`${h.url}/dashboard`);
    await page.fill('#key', h.secretKey);
    await page.click('text=Sign in');
    await page.waitForSelector('#main[data-view="integrations"]');
    await page.screenshot({ path: `${artifacts}01-integrations.png`, fullPage: true });
    expect(await page.textContent('#main')).toContain('demo');
    expect(await visit('#/connections', 'connections', '02-connections')).toContain('c1');
    expect(await visit('#/syncs?integration=demo', 'syncs', '03-syncs')).toMatch(/items.*SUCCESS/s);
    expect(await visit('#/records?integration=demo&connection=c1', 'records', '04-records')).toContain('item-0');
    expect(await visit('#/webhooks', 'webhooks', '05-webhooks')).toContain('delivered');
    expect(await visit('#/logs?connection=c1', 'logs', '06-logs')).toContain('done for c1');
    expect(await visit('#/deploys?integration=demo', 'deploys', '07-deploys')).toContain('ACTIVE');
    expect(consoleErrors).toEqual([]);
    expect(await page.content()).not.toContain('ghp_dashboard_secret');
  });

  it('triggers and pauses a sync and replays a webhook', async () => {
    await visit('#/syncs?integration=demo', 'syncs', '08-before-trigger');
    const before = (await runsOf(h.db.pool, 'items')).length;
    await page.click('button[data-sync-action="trigger"]');
    await page.waitForSelector('#flash.ok');
    await eventually(async () => (await runsOf(h.db.pool, 'items')).length > before, 20_000, 'a triggered run');
    await eventually(
      async () => (await runsOf(h.db.pool, 'items')).every((r) => r.status !== 'running' && r.status !== 'queued'),
      20_000,
      'idle',
    );
    await visit('#/syncs?integration=demo', 'syncs', '09-before-pause');
    await page.click('button[data-sync-action="pause"]');
    await page.waitForSelector('button[data-sync-action="start"]');
    const { rows } = await h.db.pool.query<{ state: string }>('SELECT state FROM schedules');
    expect(rows.map((r) => r.state)).toEqual(['paused']);
    await visit('#/webhooks', 'webhooks', '10-webhooks');
    const replays = (await h.db.pool.query('SELECT 1 FROM webhook_deliveries WHERE replay_of IS NOT NULL')).rowCount;
    await page.click('button[data-replay]');
    await page.waitForSelector('#flash.ok');
    expect((await h.db.pool.query('SELECT 1 FROM webhook_deliveries WHERE replay_of IS NOT NULL')).rowCount).toBe(
      (replays ?? 0) + 1,
    );
    await page.screenshot({ path: `${artifacts}11-replayed.png`, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
