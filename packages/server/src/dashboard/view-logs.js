// Logs: every operation (sync and action runs, proxy calls, webhook deliveries, auth events) with
// filters, a search over messages and log lines, keyset paging, runs that expand to their log
// lines and proxy calls, and live follow (polls the first page and adds what is new in place).
import { api } from './api.js';
import { badge, between, duration, esc, hashOf, link, params, shortId, when } from './format.js';

const TYPES = ['sync', 'action', 'proxy', 'webhook', 'auth'];
const STATES = ['success', 'failed', 'running', 'queued', 'pending', 'interrupted', 'cancelled'];
const RANGES = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];
const RANGE_MS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 };
const PAGE = 50;
const FOLLOW_MS = 1500;

const FIELDS = ['type', 'state', 'integration', 'connection', 'name', 'range', 'q'];

function filtersOf(p) {
  return Object.fromEntries(FIELDS.map((f) => [f, p.get(f) || '']));
}

/** The API query of a set of filters (the time range becomes `since`, from now). */
function queryOf(filters, extra = {}) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (filters.type) q.set('type', filters.type);
  if (filters.state) q.set('state', filters.state);
  if (filters.integration) q.set('integration', filters.integration);
  if (filters.connection) q.set('connection_id', filters.connection);
  if (filters.name) q.set('name', filters.name);
  if (filters.q) q.set('q', filters.q);
  if (RANGE_MS[filters.range]) q.set('since', new Date(Date.now() - RANGE_MS[filters.range]).toISOString());
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

const keyOf = (o) => `${o.type}:${o.id}`;
const expandable = (o) => o.type === 'sync' || o.type === 'action';

function rowHtml(o) {
  const what = expandable(o)
    ? `<details data-run="${esc(o.id)}"><summary>${esc(o.name)}</summary>
<div class="muted">Run ${shortId(o.id)}</div>
${o.messages.length ? `<pre>${esc(o.messages.map((m) => `${m.at ? `${m.at.slice(11, 23)} ` : ''}${m.level.toUpperCase()} ${m.message}`).join('\n'))}</pre>` : '<p class="muted">No log lines.</p>'}
<div class="proxy-calls" aria-live="polite"><p class="muted">Loading proxy calls…</p></div></details>`
    : esc(o.name);
  const connection = o.connection_id
    ? link(hashOf('connection', { integration: o.provider_config_key, connection: o.connection_id }), o.connection_id)
    : '';
  return `<tr data-op="${esc(keyOf(o))}" data-state="${esc(o.state)}">
<td>${when(o.at)}</td><td>${esc(o.type)}</td><td>${badge(o.state)}</td>
<td>${o.provider_config_key ? link(hashOf('integration', { key: o.provider_config_key }), o.provider_config_key) : ''}</td>
<td>${connection}</td><td>${what}</td><td>${esc(o.message ?? '')}</td><td class="num">${o.ended_at ? duration(between(o.at, o.ended_at)) : '—'}</td></tr>`;
}

export async function logs() {
  const p = params();
  const filters = filtersOf(p);
  const cursor =
    p.get('before_at') && p.get('before_id') ? { before_at: p.get('before_at'), before_id: p.get('before_id') } : {};
  const follow = p.get('follow') === '1' && !cursor.before_at;
  const [{ operations, has_more }, { data: integrations }] = await Promise.all([
    api(`/dashboard/api/logs?${queryOf(filters, cursor)}`),
    api('/integrations'),
  ]);
  const select = (id, name, label, list, value) =>
    `<div><label for="${id}">${esc(label)}</label><select id="${id}" name="${name}">${list
      .map(([v, l]) => `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(l)}</option>`)
      .join('')}</select></div>`;
  const input = (id, name, label, value, type = 'text') =>
    `<div><label for="${id}">${esc(label)}</label><input id="${id}" name="${name}" type="${type}" value="${esc(value)}"></div>`;
  const last = operations[operations.length - 1];
  const older =
    has_more && last
      ? link(hashOf('logs', { ...filters, before_at: last.at, before_id: last.id }), 'Older operations →')
      : '';
  const newest = cursor.before_at ? link(hashOf('logs', filters), '← Newest') : '';
  const html = `<h1>Logs</h1>
<form class="filters" id="log-filters" role="search" aria-label="Filter operations">
${select('f-type', 'type', 'Type', [['', 'All types'], ...TYPES.map((t) => [t, t])], filters.type)}
${select('f-state', 'state', 'State', [['', 'Any state'], ...STATES.map((s) => [s, s])], filters.state)}
${select('f-integration', 'integration', 'Integration', [['', 'All integrations'], ...integrations.map((i) => [i.unique_key, i.unique_key])], filters.integration)}
${input('f-connection', 'connection', 'Connection id', filters.connection)}
${input('f-name', 'name', 'Sync / action name', filters.name)}
${select('f-range', 'range', 'Time range', RANGES, filters.range)}
${input('f-q', 'q', 'Search messages', filters.q, 'search')}
<div class="actions"><button type="submit">Apply</button>${link(hashOf('logs', {}), 'Clear')}</div>
</form>
<p><label style="display:inline"><input type="checkbox" id="follow"${follow ? ' checked' : ''}${cursor.before_at ? ' disabled' : ''}> Follow live (new operations appear at the top)</label>
<span id="follow-status" class="muted" role="status" aria-live="polite"></span></p>
<div class="scroll"><table id="operations"><thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Integration</th><th scope="col">Connection</th><th scope="col">What</th><th scope="col">Message</th><th scope="col" class="num">Took</th></tr></thead>
<tbody id="ops">${operations.map(rowHtml).join('')}</tbody></table></div>
${operations.length === 0 ? '<p class="muted" id="no-ops">No operations match these filters.</p>' : ''}
<nav class="pager" aria-label="Pages">${newest}${older}</nav>`;

  let timer = null;
  let stopped = false;
  return {
    html,
    mount(root) {
      root.querySelector('#log-filters').addEventListener('submit', (event) => {
        event.preventDefault();
        const form = Object.fromEntries(new FormData(event.target));
        location.hash = hashOf('logs', { ...form, follow: follow ? '1' : '' });
      });
      root.querySelector('#follow').addEventListener('change', (event) => {
        location.hash = hashOf('logs', { ...filters, follow: event.target.checked ? '1' : '' });
      });
      root.addEventListener(
        'toggle',
        (event) => {
          const details = event.target;
          if (details.open && details.dataset.run && !details.dataset.loaded) {
            details.dataset.loaded = '1';
            loadProxyCalls(details);
          }
        },
        true,
      );
      if (!follow) return;
      const body = root.querySelector('#ops');
      const status = root.querySelector('#follow-status');
      const poll = async () => {
        try {
          const { operations: fresh } = await api(`/dashboard/api/logs?${queryOf(filters)}`);
          if (stopped) return;
          let added = 0;
          let anchor = null;
          for (const o of fresh) {
            const existing = body.querySelector(`tr[data-op="${CSS.escape(keyOf(o))}"]`);
            if (existing) {
              // A run that finished since: redraw its row unless someone is reading it open.
              if (existing.dataset.state !== o.state && !existing.querySelector('details[open]')) {
                existing.outerHTML = rowHtml(o);
              }
              anchor = body.querySelector(`tr[data-op="${CSS.escape(keyOf(o))}"]`);
              continue;
            }
            const template = document.createElement('tbody');
            template.innerHTML = rowHtml(o);
            const row = template.firstElementChild;
            if (anchor) anchor.after(row);
            else body.prepend(row);
            anchor = row;
            added += 1;
          }
          if (added) {
            root.querySelector('#no-ops')?.remove();
            status.textContent = `${added} new operation${added === 1 ? '' : 's'}`;
          }
        } catch (error) {
          status.textContent = `Follow paused: ${error.message}`;
        }
        if (!stopped) timer = setTimeout(poll, FOLLOW_MS);
      };
      status.textContent = 'Following';
      timer = setTimeout(poll, FOLLOW_MS);
    },
    unmount() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function loadProxyCalls(details) {
  const box = details.querySelector('.proxy-calls');
  try {
    const { requests } = await api(`/logs/proxy?${new URLSearchParams({ run_id: details.dataset.run, limit: '50' })}`);
    box.innerHTML = requests.length
      ? `<div class="scroll"><table><caption class="muted">Proxy calls of this run</caption><thead><tr><th scope="col">When</th><th scope="col">Call</th><th scope="col">Status</th><th scope="col" class="num">Took</th></tr></thead><tbody>${requests
          .map(
            (r) =>
              `<tr><td>${when(r.created_at)}</td><td><code>${esc(`${r.method} ${r.url}`)}</code></td><td>${badge(r.error_code ?? r.status)}</td><td class="num">${duration(r.duration_ms)}</td></tr>`,
          )
          .join('')}</tbody></table></div>`
      : '<p class="muted">No proxy calls.</p>';
  } catch (error) {
    box.innerHTML = `<p class="error">${esc(error.message)}</p>`;
  }
}
