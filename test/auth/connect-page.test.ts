import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import chromium from '@sparticuz/chromium';
import { type Browser, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MicrosoftIdentityFake, startMicrosoftIdentityFake } from '../fakes/microsoft-identity.js';
import { type ApiHarness, type Body, startApi } from '../helpers/api-harness.js';

const artifacts = new URL('../../test-artifacts/connect-page/', import.meta.url).pathname;

let h: ApiHarness;
let ms: MicrosoftIdentityFake;
let api: Server;
let browser: Browser;

beforeAll(async () => {
  await mkdir(artifacts, { recursive: true });
  h = await startApi();
  ms = await startMicrosoftIdentityFake({
    clients: { app: { secret: 's3cret', redirectUris: [`${h.url}/oauth/callback`] } },
  });
  // A provider API that accepts one API key, for the API_KEY verification request.
  api = createServer((req, res) => {
    const ok = req.url === '/user' && req.headers.authorization === 'Bearer ghp_good';
    res
      .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      .end(JSON.stringify(ok ? { login: 'octocat' } : { message: 'Bad credentials' }));
  });
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const create = async (body: Record<string, unknown>) => {
    const response = await h.api('/integrations', { method: 'POST', json: body });
    expect(response.status).toBe(201);
  };
  await create({
    unique_key: 'onedrive',
    provider: 'one-drive-personal',
    credentials: { client_id: 'app', client_secret: 's3cret' },
    overrides: {
      authorization_url: `${ms.url}/consumers/oauth2/v2.0/authorize`,
      token_url: `${ms.url}/consumers/oauth2/v2.0/token`,
    },
  });
  await create({
    unique_key: 'tenant',
    provider: 'microsoft-tenant-specific',
    credentials: { client_id: 'app', client_secret: 's3cret' },
    overrides: {
      authorization_url: `${ms.url}/\${connectionConfig.tenant}/oauth2/v2.0/authorize`,
      token_url: `${ms.url}/\${connectionConfig.tenant}/oauth2/v2.0/token`,
    },
  });
  await create({ unique_key: 'github-pat', provider: 'github-pat', overrides: { proxy: { base_url: apiUrl } } });
  browser = await playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args,
    headless: true,
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ms.close();
  api.closeAllConnections();
  api.close();
  await h.close();
});

async function openConnectPage(allowed?: string[]): Promise<{ page: Page; errors: string[] }> {
  const response = await h.api('/connect/sessions', {
    method: 'POST',
    json: { end_user: { id: 'browser-user' }, ...(allowed ? { allowed_integrations: allowed } : {}) },
  });
  const { data } = (await response.json()) as Body;
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(data.connect_link);
  return { page, errors };
}

describe('connect page in headless Chromium', () => {
  it('lists the allowed integrations and completes an OAuth flow against the fake identity platform', async () => {
    const { page, errors } = await openConnectPage();
    await page.screenshot({ path: `${artifacts}01-connect-page.png`, fullPage: true });
    const cards = await page
      .locator('form[data-integration]')
      .evaluateAll((forms) => forms.map((f) => f.getAttribute('data-integration')));
    expect(cards.sort()).toEqual(['github-pat', 'onedrive', 'tenant']);
    await page.click('text=Connect OneDrive Personal');
    await page.waitForSelector('#result[data-state="connected"]');
    await page.screenshot({ path: `${artifacts}02-connected.png` });
    expect(errors).toEqual([]);
    const list = await h.get('/connections?provider_config_key=onedrive');
    expect(list.connections).toHaveLength(1);
    expect(list.connections[0].end_user).toMatchObject({ id: 'browser-user' });
  });

  it('asks for the declared tenant and uses it', async () => {
    const { page, errors } = await openConnectPage(['tenant']);
    await page.fill('input[name="connection_config.tenant"]', 'fabrikam.onmicrosoft.com');
    await page.click('text=Connect Microsoft (Tenant)');
    await page.waitForSelector('#result[data-state="connected"]');
    expect(ms.authorizeRequests.at(-1)?.tenant).toBe('fabrikam.onmicrosoft.com');
    expect(errors).toEqual([]);
  });

  it('shows a clear error page when the user declines consent', async () => {
    const { page } = await openConnectPage(['onedrive']);
    ms.denyNext();
    await page.click('text=Connect OneDrive Personal');
    await page.waitForSelector('#result[data-state="error"]');
    await page.screenshot({ path: `${artifacts}03-denied.png` });
    expect(await page.textContent('#error-code')).toBe('WEFT_AUTH_PROVIDER_DENIED');
    expect(await page.textContent('body')).toContain('User declined to consent');
  });

  it('API key: a rejected key shows the verification error, a valid one connects', async () => {
    const { page, errors } = await openConnectPage(['github-pat']);
    await page.fill('input[name="api_key"]', 'ghp_wrong');
    await page.click('text=Connect GitHub (Personal Access Token)');
    await page.waitForSelector('#result[data-state="error"]');
    await page.screenshot({ path: `${artifacts}04-api-key-rejected.png` });
    expect(await page.textContent('#error-code')).toBe('WEFT_AUTH_VERIFICATION_FAILED');
    expect(await page.content()).not.toContain('ghp_wrong');
    expect((await h.get('/connections?provider_config_key=github-pat')).connections).toHaveLength(0);
    await page.goBack();
    await page.fill('input[name="api_key"]', 'ghp_good');
    await page.click('text=Connect GitHub (Personal Access Token)');
    await page.waitForSelector('#result[data-state="connected"]');
    expect((await h.get('/connections?provider_config_key=github-pat')).connections).toHaveLength(1);
    // The rejected attempt's error page is an HTTP 400, which Chromium logs; nothing else may fail.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  });

  it('an expired or unknown session shows the session error page', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${h.url}/connect?session=weft_cs_unknown`);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('#error-code')).toBe('WEFT_AUTH_SESSION_INVALID');
  });
});
