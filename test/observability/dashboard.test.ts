import { once } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import chromium from '@sparticuz/chromium';
import { createWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@weft/records';
import { compileIntegration } from '@weft/runner';
import { type Browser, type BrowserContext, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { type DemoApi, startDemoApi } from '../runtime/demo-api.js';
import { eventually, runsOf } from '../scheduler/helpers.js';

// The dashboard in headless Chromium on seeded data: every page, what each shows, charts with the
// right number of points, filters that narrow, live follow, keyboard use, 200 % zoom, dark mode,
// and axe-core with no serious or critical violation. Screenshots land in test-artifacts/dashboard/.

// Page functions below run in Chromium; this compile target has no DOM lib, so the few browser
// globals they touch are named here (module-scoped, nothing leaks into other files).
interface PageNode {
  id: string;
  title: string;
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  scrollWidth: number;
  cloneNode(deep: boolean): PageNode;
  querySelectorAll(selector: string): Iterable<PageNode>;
  remove(): void;
}
declare const document: {
  querySelector(selector: string): PageNode | null;
  activeElement: PageNode | null;
  documentElement: PageNode;
  body: PageNode;
};
declare const location: { hash: string };
declare const window: { innerWidth: number; samePage?: boolean; axe?: unknown };
declare function getComputedStyle(node: PageNode): { backgroundColor: string };

const fixtures = new URL('../fixtures/integrations/', import.meta.url).pathname;
const artifacts = new URL('../../test-artifacts/dashboard/', import.meta.url).pathname;
const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let h: ApiHarness;
let api: DemoApi;
let receiver: Server;
let deliveries: WebhookDeliveryWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

const PAGES = [
  ['#/overview', 'overview'],
  ['#/integrations', 'integrations'],
  ['#/integration?key=demo', 'integration'],
  ['#/connections', 'connections'],
  ['#/connection?integration=demo&connection=c1', 'connection'],
  ['#/logs', 'logs'],
  ['#/webhooks', 'webhooks'],
] as const;

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
  for (const id of ['c1', 'c2']) {
    await h.api('/connection', {
      method: 'POST',
      json: {
        connection_id: id,
        provider_config_key: 'demo',
        credentials: { type: 'API_KEY', apiKey: 'ghp_dashboard_secret' },
      },
    });
  }
  await h.db.pool.query(`UPDATE connections SET auth_state = 'needs_reauth' WHERE connection_id = 'c2'`);
  await h.runner.deploy(h.environmentId, 'demo', await compileIntegration(`${fixtures}demo`));
  // Only triggered runs: c1 waits a day for its schedule, c2 (needs re-auth) is paused.
  await h.db.pool.query(`UPDATE schedules SET next_run_at = now() + interval '1 day'`);
  await h.api('/sync/pause', {
    method: 'POST',
    json: { provider_config_key: 'demo', syncs: ['items'], connection_id: 'c2' },
  });
  await h.api('/sync/trigger', {
    method: 'POST',
    json: { provider_config_key: 'demo', syncs: ['items'], connection_id: 'c1' },
  });
  await eventually(
    async () => (await runsOf(h.db.pool, 'items')).some((r) => r.status === 'success'),
    30_000,
    'first run',
  );
  await eventually(
    async () => (await h.db.pool.query(`SELECT 1 FROM webhook_deliveries WHERE state = 'delivered'`)).rowCount,
    30_000,
    'a delivered webhook',
  );
  // History to chart: two failed runs of c2 (with the script's file:line) three hours ago, and 60
  // proxy calls of c1 two hours ago, two of them throttled (429).
  await h.db.pool.query(
    `INSERT INTO sync_runs (id, schedule_id, environment_id, connection_id, sync_name, status, created_at, started_at, ended_at, error)
     SELECT gen_random_uuid(), s.id, s.environment_id, s.connection_id, 'items', 'failed',
            now() - interval '3 hours', now() - interval '3 hours', now() - interval '3 hours' + interval '2 seconds',
            '{"message":"upstream refused the token","stack":"Error: upstream refused the token\\n    at fetchPage (syncs/items.ts:14:9)"}'
     FROM schedules s JOIN connections c ON c.id = s.connection_id, generate_series(1, 2)
     WHERE c.connection_id = 'c2'`,
  );
  await h.db.pool.query(
    `INSERT INTO proxy_requests (environment_id, connection_id, provider_config_key, method, url, status, duration_ms, attempts, created_at)
     SELECT c.environment_id, c.id, 'demo', 'GET', $1 || '/items?seeded=' || n, CASE WHEN n <= 2 THEN 429 ELSE 200 END, 30, 1,
            now() - interval '2 hours' + make_interval(secs => n)
     FROM connections c, generate_series(1, 60) n WHERE c.connection_id = 'c1'`,
    [api.url],
  );
  browser = await playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
  // A real browser reports a valid locale; this headless build inherits en-US@posix from the
  // environment, which Intl (and so uPlot) rejects.
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await deliveries?.stop();
  receiver?.closeAllConnections();
  receiver?.close();
  await api?.stop();
  await h?.close();
});

/** Wait until the dashboard shows the content of its current address. */
async function settled(view: string): Promise<void> {
  await page.waitForFunction(
    (v) => {
      const main = document.querySelector('#main');
      return main?.dataset.view === v && main.dataset.hash === location.hash;
    },
    view,
    { timeout: 30_000 },
  );
}

async function visit(hash: string, view: string, shot?: string): Promise<string> {
  const target = `${h.url}/dashboard${hash}`;
  // Going to the address already shown changes nothing in a single-page app: load it afresh.
  if (page.url() === target) await page.reload();
  else await page.goto(target);
  await settled(view);
  if (shot) await page.screenshot({ path: `${artifacts}${shot}.png`, fullPage: true });
  return (await page.textContent('#main')) ?? '';
}

/** Apply a filter form and wait for the list it leads to. */
async function apply(formButton: string, view: string, hashPart: string): Promise<void> {
  await page.click(formButton);
  await page.waitForFunction((part) => location.hash.includes(part), hashPart);
  await settled(view);
}

async function axe(label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = window.axe as { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return (result.violations as Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>).map(
      (v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }),
    );
  });
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `${label}: ${JSON.stringify(blocking)}`).toEqual([]);
}

const rowsOf = () =>
  page.$$eval('#ops > tr', (rows) =>
    rows.map((r) => ({
      op: r.getAttribute('data-op') ?? '',
      type: r.children[1]?.textContent ?? '',
      state: r.getAttribute('data-state') ?? '',
      text: r.textContent ?? '',
    })),
  );

describe('dashboard in headless Chromium', () => {
  it('signs in to an overview whose charts draw the seeded runs, proxy calls and webhooks', async () => {
    await page.goto(`${h.url}/dashboard`);
    await page.fill('#key', h.secretKey);
    await page.click('text=Sign in');
    await settled('overview');
    for (const chart of ['chart-runs', 'chart-durations', 'chart-proxy', 'chart-webhooks']) {
      expect(await page.getAttribute(`#${chart}`, 'data-points'), chart).toBe('24');
      expect(await page.$(`#${chart} canvas`), chart).not.toBeNull();
      expect(await page.$$eval(`#${chart} details tbody tr`, (r) => r.length), chart).toBe(24);
    }
    const legend = (chart: string) => page.textContent(`#${chart} .legend`);
    const ran = await h.db.pool.query<{ success: string; failed: string }>(
      `SELECT count(*) FILTER (WHERE status = 'success') AS success, count(*) FILTER (WHERE status = 'failed') AS failed FROM sync_runs`,
    );
    expect(await legend('chart-runs')).toContain(`Succeeded: ${ran.rows[0]!.success}`);
    expect(await legend('chart-runs')).toContain('Failed: 2');
    expect(await legend('chart-proxy')).toContain('429 throttled: 2');
    expect(await legend('chart-webhooks')).toMatch(/Delivered: [1-9]/);
    const text = (await page.textContent('#main')) ?? '';
    expect(text).toMatch(/Item\s*30/);
    expect(text).toContain('1 need re-auth');
    await page.screenshot({ path: `${artifacts}01-overview.png` });
    await axe('overview');

    for (const [range, points] of [
      ['1h', '12'],
      ['7d', '28'],
    ] as const) {
      await page.selectOption('#ov-range', range);
      await apply('#overview-filters button[type=submit]', 'overview', `range=${range}`);
      expect(await page.getAttribute('#chart-runs', 'data-points')).toBe(points);
      expect(await page.getAttribute('#chart-proxy', 'data-points')).toBe(points);
    }
    // The 1 h range holds the live run, not the history seeded hours ago.
    await visit('#/overview?range=1h', 'overview');
    expect(await page.textContent('#chart-runs .legend')).toContain('Failed: 0');
    expect(consoleErrors).toEqual([]);
  });

  it('shows every page with relative times, no raw timestamps, no secret, and no serious axe violation', async () => {
    for (const [hash, view] of PAGES) {
      await visit(hash, view, `02-${view}`);
      // Everything but raw JSON views (a record's own timestamps are data, shown verbatim).
      const text = await page.evaluate(() => {
        const copy = document.querySelector('#main')?.cloneNode(true);
        if (!copy) return '';
        for (const pre of copy.querySelectorAll('pre')) pre.remove();
        return copy.textContent ?? '';
      });
      expect(text, view).not.toMatch(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/);
      await axe(view);
    }
    await visit('#/connection?integration=demo&connection=c1', 'connection');
    const stamp = await page.$eval('time[data-relative]', (t) => ({ text: t.textContent, title: t.title }));
    expect(stamp.text).toMatch(/ago|just now/);
    expect(stamp.title).toMatch(/\d{4}/);
    expect(await page.content()).not.toContain('ghp_dashboard_secret');
    // Addresses of the first dashboard lead to where that content lives now.
    expect(await visit('#/syncs?integration=demo&connection=c1', 'connection')).toContain('Connection c1');
    expect(await visit('#/deploys?integration=demo', 'integration')).toContain('Deploy history');
    expect(consoleErrors).toEqual([]);
  });

  it('follows the system dark mode and stays free of serious axe violations in it', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      for (const [hash, view] of PAGES) {
        await visit(hash, view, `03-dark-${view}`);
        await axe(`dark ${view}`);
      }
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe('rgb(20, 22, 26)');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  it('stays readable at 200 % zoom: nothing wider than the window', async () => {
    // 200 % zoom of a 1400×900 window is a 700×450 CSS-pixel viewport.
    await page.setViewportSize({ width: 700, height: 450 });
    try {
      for (const [hash, view] of PAGES) {
        await visit(hash, view, `04-zoom-${view}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, view).toBeLessThanOrEqual(0);
      }
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('is keyboard navigable: skip link, menu by Tab, Enter opens a page and focus moves to it', async () => {
    await visit('#/overview', 'overview');
    await page.reload(); // a fresh load: focus starts at the top of the document
    await settled('overview');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    let label = '';
    for (let i = 0; i < 10 && label !== 'Logs'; i++) {
      await page.keyboard.press('Tab');
      label = (await page.evaluate(() => document.activeElement?.textContent)) ?? '';
    }
    expect(label).toBe('Logs');
    await page.keyboard.press('Enter');
    await settled('logs');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-type');
    // A run's log lines open from the keyboard too.
    await page.focus('details[data-run] summary');
    await page.keyboard.press('Enter');
    await page.waitForSelector('details[data-run][open] pre');
  });

  it('logs: filters narrow the list, search finds log lines, pages do not overlap, a run expands to its lines and proxy calls', async () => {
    await visit('#/logs', 'logs', '05-logs');
    const all = await rowsOf();
    expect(new Set(all.map((r) => r.type))).toEqual(new Set(['sync', 'proxy', 'webhook']));

    await page.selectOption('#f-type', 'sync');
    await apply('#log-filters button[type=submit]', 'logs', 'type=sync');
    const syncs = await rowsOf();
    expect(syncs.length).toBeGreaterThan(0);
    expect(syncs.length).toBeLessThan(all.length);
    expect(syncs.every((r) => r.type === 'sync')).toBe(true);

    await page.selectOption('#f-state', 'failed');
    await apply('#log-filters button[type=submit]', 'logs', 'state=failed');
    const failed = await rowsOf();
    expect(failed).toHaveLength(2);
    expect(failed.every((r) => r.state === 'failed' && r.text.includes('c2'))).toBe(true);
    await page.screenshot({ path: `${artifacts}06-logs-failed.png`, fullPage: true });

    await visit('#/logs', 'logs');
    await page.fill('#f-q', 'done for C1');
    await apply('#log-filters button[type=submit]', 'logs', 'q=done');
    const found = await rowsOf();
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((r) => r.text.includes('done for c1'))).toBe(true);

    await page.fill('#f-q', '');
    await page.fill('#f-connection', 'c2');
    await apply('#log-filters button[type=submit]', 'logs', 'connection=c2');
    expect((await rowsOf()).every((r) => r.text.includes('c2'))).toBe(true);

    // Paging: 60+ proxy calls, 50 a page.
    await visit('#/logs?type=proxy', 'logs');
    const first = (await rowsOf()).map((r) => r.op);
    expect(first).toHaveLength(50);
    await page.click('text=Older operations →');
    await page.waitForFunction(() => location.hash.includes('before_id'));
    await settled('logs');
    const second = (await rowsOf()).map((r) => r.op);
    expect(second.length).toBeGreaterThan(9);
    expect(second.filter((op) => first.includes(op))).toEqual([]);

    // A real run: its log lines and the proxy calls it made.
    await visit('#/logs?type=sync&connection=c1', 'logs');
    await page.click('details[data-run] summary');
    await page.waitForSelector('details[data-run][open] .proxy-calls table');
    const expanded = (await page.textContent('details[data-run][open]')) ?? '';
    expect(expanded).toContain('done for c1');
    expect(expanded).toContain(`GET ${api.url}/items`);
    await page.screenshot({ path: `${artifacts}07-logs-expanded.png`, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });

  it('logs: live follow shows a new run without reloading the page', async () => {
    await visit('#/logs?type=sync', 'logs');
    await page.check('#follow');
    await page.waitForFunction(() => location.hash.includes('follow=1'));
    await settled('logs');
    await page.evaluate(() => {
      window.samePage = true;
    });
    const before = new Set((await runsOf(h.db.pool, 'items')).map((r) => r.id));
    await h.api('/sync/trigger', {
      method: 'POST',
      json: { provider_config_key: 'demo', syncs: ['items'], connection_id: 'c1' },
    });
    const run = await eventually(
      async () => (await runsOf(h.db.pool, 'items')).find((r) => !before.has(r.id)),
      30_000,
      'the triggered run',
    );
    await page.waitForSelector(`tr[data-op="sync:${run.id}"]`, { timeout: 30_000 });
    // …and its row turns to success in place once the run ends.
    await page.waitForSelector(`tr[data-op="sync:${run.id}"][data-state="success"]`, { timeout: 30_000 });
    expect(await page.evaluate(() => window.samePage)).toBe(true);
    expect(await page.textContent('#follow-status')).toMatch(/new operation/);
    await page.screenshot({ path: `${artifacts}08-logs-follow.png`, fullPage: true });
  });

  it('connection page: state, syncs with failures at file:line, records with paging and JSON, metadata validation, reconnect', async () => {
    const c2 = await visit('#/connection?integration=demo&connection=c2', 'connection', '09-connection-c2');
    expect(c2).toContain('needs_reauth');
    expect(c2).toContain('upstream refused the token');
    expect(c2).toContain('syncs/items.ts:14:9');

    const text = await visit('#/connection?integration=demo&connection=c1', 'connection', '10-connection-c1');
    expect(text).toContain('items');
    expect(text).toMatch(/Item\s*30\s*0/);
    const firstPage = await page.$$eval('#main h3 + .scroll tbody tr', (r) => r.length);
    expect(firstPage).toBe(25);
    await page.click('text=Next records →');
    await page.waitForFunction(() => location.hash.includes('cursor='));
    await settled('connection');
    expect(await page.$$eval('#main h3 + .scroll tbody tr', (r) => r.length)).toBe(5);
    await page.click('#main h3 + .scroll tbody tr summary');
    expect(JSON.parse((await page.textContent('#main h3 + .scroll details[open] pre')) ?? '{}')).toMatchObject({
      _nango_metadata: { last_action: 'ADDED' },
    });

    await page.fill('#metadata', '{"team": ');
    await page.click('#metadata-form button[type=submit]');
    await page.waitForSelector('#metadata-error:not([hidden])');
    expect(await page.getAttribute('#metadata', 'aria-invalid')).toBe('true');
    await page.fill('#metadata', '["not", "an object"]');
    await page.click('#metadata-form button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#metadata-error')?.textContent?.includes('JSON object'));
    await page.fill('#metadata', '{"team": "blue"}');
    await page.click('#metadata-form button[type=submit]');
    await page.waitForSelector('#flash.ok');
    const { rows } = await h.db.pool.query(`SELECT metadata FROM connections WHERE connection_id = 'c1'`);
    expect(rows[0].metadata).toEqual({ team: 'blue' });

    await page.click('#reconnect');
    await page.waitForSelector('#reconnect-url');
    const link = (await page.getAttribute('#reconnect-url', 'href')) ?? '';
    expect(link).toContain(`${h.url}/connect?session=`);
    const connect = await fetch(link);
    expect(connect.status).toBe(200);
    expect(await connect.text()).toContain('demo');
    await page.screenshot({ path: `${artifacts}11-connection-reconnect.png`, fullPage: true });
  });

  it('integration page: provider, deployed scripts and history, test connect opens the connect flow', async () => {
    const text = await visit('#/integration?key=demo', 'integration', '12-integration');
    expect(text).toContain('github-pat');
    expect(text).toMatch(/items\s*sync/);
    expect(text).toMatch(/v1\s*ACTIVE/);
    const [popup] = await Promise.all([context.waitForEvent('page'), page.click('#test-connect')]);
    await popup.waitForLoadState();
    expect(popup.url()).toContain('/connect?session=');
    expect(await popup.content()).toContain('/connect/credentials/demo');
    await popup.close();

    // A second deploy without the action: the history shows its diff, and a rollback restores v1.
    const scripts = await compileIntegration(`${fixtures}demo`);
    await h.runner.deploy(
      h.environmentId,
      'demo',
      scripts.filter((s) => s.name === 'items'),
    );
    const history = await visit('#/integration?key=demo', 'integration', '12b-integration-v2');
    expect(history).toMatch(/v2\s*ACTIVE\s*removedActions:\s*get-item/);
    page.once('dialog', (dialog) => dialog.accept());
    await page.click('#rollback');
    await page.waitForFunction(() => document.querySelector('#flash')?.textContent?.includes('v1 is active'));
    await settled('integration');
    const { rows } = await h.db.pool.query<{ version: number }>('SELECT version FROM deployments WHERE active');
    expect(rows.map((r) => r.version)).toEqual([1]);
    expect(await page.textContent('#main')).toMatch(/v1\s*ACTIVE/);
  });

  it('connections list narrows by auth state; a sync is paused and a webhook replayed from the pages', async () => {
    const text = await visit('#/connections', 'connections', '13-connections');
    expect(text).toContain('c1');
    expect(text).toContain('c2');
    await page.selectOption('#c-state', 'needs_reauth');
    await apply('#connection-filters button[type=submit]', 'connections', 'state=needs_reauth');
    const ids = await page.$$eval('#main tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(ids).toEqual(['c2']);

    await visit('#/connection?integration=demo&connection=c1', 'connection');
    await page.click('button[data-sync-action="pause"]');
    await page.waitForSelector('button[data-sync-action="start"]');
    const { rows } = await h.db.pool.query<{ state: string }>(
      `SELECT s.state FROM schedules s JOIN connections c ON c.id = s.connection_id WHERE c.connection_id = 'c1'`,
    );
    expect(rows.map((r) => r.state)).toEqual(['paused']);

    await visit('#/webhooks', 'webhooks', '14-webhooks');
    const replays = (await h.db.pool.query('SELECT 1 FROM webhook_deliveries WHERE replay_of IS NOT NULL')).rowCount;
    await page.click('button[data-replay]');
    await page.waitForSelector('#flash.ok');
    expect((await h.db.pool.query('SELECT 1 FROM webhook_deliveries WHERE replay_of IS NOT NULL')).rowCount).toBe(
      (replays ?? 0) + 1,
    );
    expect(consoleErrors).toEqual([]);
  });
});
