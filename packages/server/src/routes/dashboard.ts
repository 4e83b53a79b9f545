import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { dashboardFileParams } from '../contract/dashboard.js';
import { escapeHtml } from '../pages/html.js';
import { parseRequest } from '../validate.js';
import { dashboardApiRoutes } from './dashboard-api.js';

const headers = {
  'content-type': 'text/html; charset=utf-8',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  // The page only talks to this origin's API and loads only its own scripts and styles.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src data:",
} as const;

const types: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Every static file the dashboard serves, read once at startup: its own modules and styles
 * (packages/server/src/dashboard/) and uPlot, the chart library, straight from node_modules —
 * plain ES modules, so there is no build step. A fixed map also means no path from the URL ever
 * reaches the file system.
 */
function loadAssets(): Map<string, { type: string; body: string }> {
  const assets = new Map<string, { type: string; body: string }>();
  const dir = new URL('../dashboard/', import.meta.url);
  for (const file of readdirSync(dir)) {
    const type = types[file.split('.').pop() ?? ''];
    if (type) assets.set(file, { type, body: readFileSync(new URL(file, dir), 'utf8') });
  }
  const require = createRequire(import.meta.url);
  const uplot = require.resolve('uplot/dist/uPlot.esm.js');
  assets.set('vendor/uplot.js', { type: types.js!, body: readFileSync(uplot, 'utf8') });
  assets.set('vendor/uplot.css', {
    type: types.css!,
    body: readFileSync(uplot.replace(/uPlot\.esm\.js$/, 'uPlot.min.css'), 'utf8'),
  });
  return assets;
}

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml('Weft dashboard')}</title>
<link rel="stylesheet" href="/dashboard/vendor/uplot.css"><link rel="stylesheet" href="/dashboard/dashboard.css">
</head><body>
<a class="skip" href="#main">Skip to content</a>
<header id="top" hidden><nav aria-label="Main"><span class="brand">Weft</span>
<a href="#/overview">Overview</a><a href="#/integrations">Integrations</a><a href="#/connections">Connections</a><a href="#/logs">Logs</a><a href="#/webhooks">Webhooks</a>
<button type="button" id="logout" class="link">Sign out</button></nav></header>
<div id="flash" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1"></main>
<script type="module" src="/dashboard/app.js"></script>
</body></html>`;

/** `/dashboard`: static page + modules; all data comes from the API with the secret key the user enters. */
export const dashboardRoutes =
  (ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    const assets = loadAssets();
    app.get('/dashboard', { config: { public: true } }, async (_request, reply) => reply.headers(headers).send(page));
    const serve = (name: string) => assets.get(name);
    app.get('/dashboard/vendor/:file', { config: { public: true } }, async (request, reply) => {
      const asset = serve(`vendor/${parseRequest(dashboardFileParams, request.params, 'params').file}`);
      if (!asset) return reply.callNotFound();
      return reply
        .headers({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
        .send(asset.body);
    });
    app.get('/dashboard/:file', { config: { public: true } }, async (request, reply) => {
      const asset = serve(parseRequest(dashboardFileParams, request.params, 'params').file);
      if (!asset) return reply.callNotFound();
      return reply
        .headers({ 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
        .send(asset.body);
    });
    await app.register(dashboardApiRoutes(ctx));
  };
