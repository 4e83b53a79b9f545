// The list pages: integrations (with connection health), connections (filtered by integration,
// auth state and id) and webhook deliveries (filtered by state, paged, with replay).
import { api } from './api.js';
import { badge, esc, hashOf, link, number, params, shortId, table, when } from './format.js';

export async function integrations() {
  const { data } = await api('/integrations');
  const statuses = await Promise.all(data.map((i) => api(`/integrations/${encodeURIComponent(i.unique_key)}/status`)));
  const of = (i) => statuses.find((s) => s.unique_key === i.unique_key);
  return `<h1>Integrations</h1>${table(
    [
      ['Integration', (i) => link(hashOf('integration', { key: i.unique_key }), i.unique_key)],
      ['Provider', (i) => esc(i.provider)],
      [
        'Connections',
        (i) => link(hashOf('connections', { integration: i.unique_key }), number(of(i)?.connections.total ?? 0)),
        'num',
      ],
      [
        'Health',
        (i) => {
          const s = of(i);
          return s
            ? `${number(s.connections.ok)} ok · ${number(s.connections.failing)} failing · ${number(s.connections.needs_reauth)} re-auth`
            : '';
        },
      ],
      ['Warnings', (i) => (i.warnings.length ? `<span class="badge warn">${esc(i.warnings.join(' '))}</span>` : '')],
      ['Created', (i) => when(i.created_at)],
    ],
    data,
    { empty: 'No integrations yet: `weft integration create …`.' },
  )}`;
}

export async function connections() {
  const p = params();
  const integration = p.get('integration') || '';
  const state = p.get('state') || '';
  const search = p.get('search') || '';
  const [{ connections: list }, { data: all }] = await Promise.all([
    api(
      `/connections?${new URLSearchParams({ ...(integration ? { provider_config_key: integration } : {}), ...(search ? { search } : {}) })}`,
    ),
    api('/integrations'),
  ]);
  const rows = state ? list.filter((c) => c.auth_state === state) : list;
  const option = (v, l, selected) => `<option value="${esc(v)}"${v === selected ? ' selected' : ''}>${esc(l)}</option>`;
  return {
    html: `<h1>Connections${integration ? ` of ${esc(integration)}` : ''}</h1>
<form class="filters" id="connection-filters" role="search" aria-label="Filter connections">
<div><label for="c-integration">Integration</label><select id="c-integration" name="integration">${option('', 'All integrations', integration)}${all
      .map((i) => option(i.unique_key, i.unique_key, integration))
      .join('')}</select></div>
<div><label for="c-state">Auth state</label><select id="c-state" name="state">${option('', 'Any', state)}${option('ok', 'ok', state)}${option('needs_reauth', 'needs re-auth', state)}</select></div>
<div><label for="c-search">Connection or end user id</label><input id="c-search" name="search" type="search" value="${esc(search)}"></div>
<div class="actions"><button type="submit">Apply</button></div></form>
<p class="muted">${number(rows.length)} connection${rows.length === 1 ? '' : 's'}</p>
${table(
  [
    [
      'Connection',
      (c) =>
        link(
          hashOf('connection', { integration: c.provider_config_key, connection: c.connection_id }),
          c.connection_id,
        ),
    ],
    ['Integration', (c) => link(hashOf('integration', { key: c.provider_config_key }), c.provider_config_key)],
    ['Auth', (c) => badge(c.auth_state)],
    ['End user', (c) => esc(c.end_user?.id ?? '')],
    ['Created', (c) => when(c.created_at)],
  ],
  rows,
  { empty: 'No connections match.' },
)}`,
    mount(root) {
      root.querySelector('#connection-filters').addEventListener('submit', (event) => {
        event.preventDefault();
        location.hash = hashOf('connections', Object.fromEntries(new FormData(event.target)));
      });
    },
  };
}

export async function webhooks() {
  const p = params();
  const state = p.get('state') || '';
  const before = p.get('before') || '';
  const { deliveries, next_before } = await api(
    `/webhooks/deliveries?${new URLSearchParams({ limit: '50', ...(state ? { state } : {}), ...(before ? { before } : {}) })}`,
  );
  const option = (v, l) => `<option value="${esc(v)}"${v === state ? ' selected' : ''}>${esc(l)}</option>`;
  return {
    html: `<h1>Webhook deliveries</h1>
<form class="filters" id="webhook-filters" aria-label="Filter deliveries">
<div><label for="w-state">State</label><select id="w-state" name="state">${option('', 'Any')}${option('delivered', 'delivered')}${option('pending', 'retrying')}${option('exhausted', 'failed (exhausted)')}</select></div>
<div class="actions"><button type="submit">Apply</button></div></form>
${table(
  [
    ['Delivery', (d) => esc(d.id)],
    ['Event', (d) => `${esc(d.event_type)} ${shortId(d.event_id)}`],
    ['URL', (d) => `<code>${esc(d.url)}</code>`],
    ['State', (d) => badge(d.state)],
    ['Attempts', (d) => esc(d.attempts), 'num'],
    ['Created', (d) => when(d.created_at)],
    ['Last error', (d) => esc(d.last_error ?? '')],
    ['', (d) => `<button type="button" class="secondary" data-replay="${esc(d.id)}">replay</button>`],
  ],
  deliveries,
  { empty: 'No deliveries.' },
)}
<nav class="pager" aria-label="Delivery pages">${before ? link(hashOf('webhooks', { state }), '← Newest') : ''}${
      next_before ? link(hashOf('webhooks', { state, before: next_before }), 'Older deliveries →') : ''
    }</nav>`,
    mount(root) {
      root.querySelector('#webhook-filters').addEventListener('submit', (event) => {
        event.preventDefault();
        location.hash = hashOf('webhooks', Object.fromEntries(new FormData(event.target)));
      });
    },
  };
}
