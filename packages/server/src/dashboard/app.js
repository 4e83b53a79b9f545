// Weft dashboard: a single page over the REST API and /dashboard/api/* (plain ES modules, no build
// step). Views return HTML (and optionally mount/unmount hooks for charts, forms and live follow).
import { api, clearKey, key, setKey } from './api.js';
import { destroyCharts } from './charts.js';
import { esc, hashOf, parseTime, relative } from './format.js';
import { connection } from './view-connection.js';
import { integration } from './view-integration.js';
import { connections, integrations, webhooks } from './view-lists.js';
import { logs } from './view-logs.js';
import { overview } from './view-overview.js';

const views = { overview, integrations, integration, connections, connection, logs, webhooks };
const aliases = {
  syncs: (p) =>
    p.get('connection')
      ? hashOf('connection', { integration: p.get('integration'), connection: p.get('connection') })
      : hashOf('integration', { key: p.get('integration') }),
  records: (p) =>
    hashOf('connection', { integration: p.get('integration'), connection: p.get('connection'), model: p.get('model') }),
  deploys: (p) => hashOf('integration', { key: p.get('integration') }),
};
const $ = (sel) => document.querySelector(sel);
const main = () => $('#main');
let current = null;
let renders = 0;

function flash(text, error = false) {
  $('#flash').textContent = text;
  $('#flash').className = error ? 'error' : 'ok';
}

function signInForm() {
  $('#top').hidden = true;
  main().innerHTML = `<h1>Weft</h1><form id="login"><label for="key">Secret key</label>
<input id="key" type="password" autocomplete="off" placeholder="weft_sk_…" required>
<p><button type="submit">Sign in</button></p></form><p class="muted">Print it with <code>weft env show</code>.</p>`;
  main().dataset.view = 'login';
}

async function render() {
  current?.unmount?.();
  current = null;
  destroyCharts();
  if (!key()) return signInForm();
  $('#top').hidden = false;
  const name = location.hash.slice(2).split('?')[0];
  // Addresses of the first dashboard keep working: syncs and records live on the connection
  // page now, deploys on the integration page.
  const moved = aliases[name]?.(new URLSearchParams(location.hash.split('?')[1] || ''));
  if (moved) {
    location.replace(`#${moved}`);
    return;
  }
  const view = views[name] ? name : 'overview';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${view}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const mine = ++renders;
  main().setAttribute('aria-busy', 'true');
  delete main().dataset.view;
  delete main().dataset.hash;
  try {
    const result = await views[view]();
    if (mine !== renders) return; // a newer navigation won
    const { html, mount, unmount } = typeof result === 'string' ? { html: result } : result;
    main().innerHTML = html;
    document.title = `${main().querySelector('h1')?.textContent ?? 'Weft'} · Weft dashboard`;
    mount?.(main());
    current = { unmount };
    main().dataset.view = view;
    // Which address this content answers (tests and scripts wait for it after navigating).
    main().dataset.hash = location.hash;
  } catch (error) {
    if (mine !== renders) return;
    if (!key()) return signInForm();
    main().innerHTML = `<h1>Something went wrong</h1><p class="error">${esc(error.message)}</p>`;
    main().dataset.view = 'error';
  } finally {
    if (mine === renders) main().removeAttribute('aria-busy');
  }
}

document.addEventListener('submit', async (event) => {
  if (event.target.id !== 'login') return;
  event.preventDefault();
  setKey($('#key').value.trim());
  try {
    await api('/environment');
    flash('');
    if (location.hash === '' || location.hash === '#/overview') render();
    else location.hash = '#/overview';
  } catch (error) {
    flash(error.message, true);
  }
});

document.addEventListener('click', async (event) => {
  const target = event.target.closest('button');
  if (!target) return;
  try {
    if (target.dataset.syncAction) {
      const { syncAction, integration: key, sync, connection: id } = target.dataset;
      await api(`/sync/${syncAction}`, {
        method: 'POST',
        body: JSON.stringify({ provider_config_key: key, syncs: [sync], connection_id: id }),
      });
      flash(`${syncAction}: ${sync} of ${id}`);
      render();
    } else if (target.dataset.replay) {
      await api(`/webhooks/deliveries/${target.dataset.replay}/replay`, { method: 'POST' });
      flash(`Replay of delivery ${target.dataset.replay} queued`);
      render();
    } else if (target.dataset.copy) {
      await navigator.clipboard.writeText(target.dataset.copy);
      flash('Copied to the clipboard');
    } else if (target.id === 'logout') {
      clearKey();
      render();
    }
  } catch (error) {
    flash(error.message, true);
  }
});

window.addEventListener('weft:flash', (event) => flash(event.detail));
// A view changed something it shows (e.g. a rollback): draw it again, keeping the message.
window.addEventListener('weft:rerender', () => render());
window.addEventListener('weft:signed-out', () => flash('Signed out: the secret key was refused', true));
window.addEventListener('hashchange', async () => {
  flash('');
  await render();
  // Keyboard and screen-reader users land on the new page's content, not back at the top.
  main().focus({ preventScroll: true });
});

// Relative times ("2 min ago") stay true while the page is open.
setInterval(() => {
  for (const t of document.querySelectorAll('time[data-relative]')) {
    const date = parseTime(t.getAttribute('datetime'));
    if (date) t.textContent = relative(date);
  }
}, 30_000);

render();
