import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { ServerContext } from '../context.js';
import { layoutHead } from '../pages/html.js';

const script = readFileSync(new URL('../dashboard/dashboard.js', import.meta.url), 'utf8');

const headers = {
  'content-type': 'text/html; charset=utf-8',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  // The page only talks to this origin's API.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
} as const;

const page = `${layoutHead('Weft dashboard')}
<style>
body{max-width:72rem}nav a{margin-right:1rem}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #e3e3e3;padding:.4rem;text-align:left;vertical-align:top}
.badge{border-radius:4px;padding:0 .35rem;background:#eee;font-size:.8rem}.badge.success,.badge.ok,.badge.delivered,.badge.added{background:#d8f5dd}.badge.failed,.badge.error,.badge.exhausted,.badge.needs_reauth,.badge.deleted{background:#fbdada}.badge.running,.badge.pending{background:#fff2c6}.badge.paused{background:#e2e6ff}
pre{white-space:pre-wrap;margin:.2rem 0;font-size:.8rem}#flash.ok{color:#16632a}#flash.error{color:#a11}
</style></head><body>
<nav id="nav" hidden><a href="#/integrations">Integrations</a><a href="#/connections">Connections</a><a href="#/webhooks">Webhooks</a><a href="#/logs">Logs</a><a href="#" id="logout">Sign out</a></nav>
<p id="flash"></p><main id="main"></main>
<script src="/dashboard/app.js"></script>
</body></html>`;

/** `/dashboard`: static page + script; all data comes from the API with the secret key the user enters. */
export const dashboardRoutes =
  (_ctx: ServerContext): FastifyPluginAsync =>
  async (app) => {
    app.get('/dashboard', { config: { public: true } }, async (_request, reply) => reply.headers(headers).send(page));
    app.get('/dashboard/app.js', { config: { public: true } }, async (_request, reply) =>
      reply
        .headers({
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        })
        .send(script),
    );
  };
