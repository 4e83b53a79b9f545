// Overview: what ran and how it went over a time range, for the environment or one integration.
import { api } from './api.js';
import { chartHtml, mountCharts } from './charts.js';
import { duration, esc, hashOf, number, params, table } from './format.js';

const RANGES = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];

export async function overview() {
  const p = params();
  const range = RANGES.some(([r]) => r === p.get('range')) ? p.get('range') : '24h';
  const integration = p.get('integration') || '';
  const [data, { data: integrations }] = await Promise.all([
    api(`/dashboard/api/overview?${new URLSearchParams({ range, ...(integration ? { integration } : {}) })}`),
    api('/integrations'),
  ]);
  const x = data.buckets;
  const pick = (list, field) => list.map((b) => b[field]);
  const specs = [
    {
      id: 'chart-runs',
      title: 'Sync runs by outcome',
      unit: 'count',
      x,
      series: [
        { label: 'Succeeded', color: '--c-success', values: pick(data.runs.buckets, 'success') },
        { label: 'Failed', color: '--c-failed', values: pick(data.runs.buckets, 'failed') },
        { label: 'Cancelled or interrupted', color: '--c-cancelled', values: pick(data.runs.buckets, 'cancelled') },
      ],
    },
    {
      id: 'chart-durations',
      title: 'Run duration',
      unit: 'ms',
      x,
      series: [
        { label: 'p50', color: '--c-p50', values: pick(data.runs.buckets, 'p50Ms') },
        { label: 'p95', color: '--c-p95', values: pick(data.runs.buckets, 'p95Ms') },
      ],
    },
    {
      id: 'chart-proxy',
      title: 'Proxy calls',
      unit: 'count',
      x,
      series: [
        { label: 'Calls', color: '--c-p50', values: pick(data.proxy.buckets, 'calls') },
        { label: 'Errors', color: '--c-failed', values: pick(data.proxy.buckets, 'errors') },
        { label: '429 throttled', color: '--c-active', values: pick(data.proxy.buckets, 'throttled') },
      ],
    },
    {
      id: 'chart-webhooks',
      title: 'Webhook deliveries',
      unit: 'count',
      x,
      series: [
        { label: 'Delivered', color: '--c-success', values: pick(data.webhooks.buckets, 'delivered') },
        { label: 'Failed', color: '--c-failed', values: pick(data.webhooks.buckets, 'failed') },
        { label: 'Retrying', color: '--c-active', values: pick(data.webhooks.buckets, 'pending') },
      ],
    },
  ];
  const t = data.runs.total;
  const c = data.connections;
  const tile = (label, value, extra = '') =>
    `<div class="tile"><div class="muted">${esc(label)}</div><div class="value">${value}</div>${extra}</div>`;
  const options = (list, selected) =>
    list.map(([v, l]) => `<option value="${esc(v)}"${v === selected ? ' selected' : ''}>${esc(l)}</option>`).join('');
  const html = `<h1>Overview${integration ? ` of ${esc(integration)}` : ''}</h1>
<form class="filters" id="overview-filters" aria-label="Overview filters">
  <div><label for="ov-range">Time range</label><select id="ov-range" name="range">${options(RANGES, range)}</select></div>
  <div><label for="ov-integration">Integration</label><select id="ov-integration" name="integration">${options(
    [['', 'All integrations'], ...integrations.map((i) => [i.unique_key, i.unique_key])],
    integration,
  )}</select></div>
  <div class="actions"><button type="submit">Show</button></div>
</form>
<div class="tiles">
  ${tile('Runs', number(t.success + t.failed + t.cancelled + t.active), `<div class="muted">${number(t.failed)} failed</div>`)}
  ${tile('Run duration p50 / p95', `${esc(t.p50Ms === null ? '—' : duration(t.p50Ms))} / ${esc(t.p95Ms === null ? '—' : duration(t.p95Ms))}`)}
  ${tile('Proxy calls', number(data.proxy.total.calls), `<div class="muted">${number(data.proxy.total.errors)} errors · ${number(data.proxy.total.throttled)} × 429</div>`)}
  ${tile('Webhooks', number(data.webhooks.total.delivered + data.webhooks.total.failed + data.webhooks.total.pending), `<div class="muted">${number(data.webhooks.total.failed)} failed</div>`)}
  ${tile('Connections', number(c.total), `<div class="muted">${number(c.ok)} ok · ${number(c.refreshFailing)} refresh failing · ${number(c.needsReauth)} need re-auth</div>`)}
</div>
<div class="charts">${specs.map(chartHtml).join('')}</div>
<h2>Records changed, per model</h2>
${table(
  [
    ['Model', (r) => esc(r.model)],
    ['Added', (r) => number(r.added), 'num'],
    ['Updated', (r) => number(r.updated), 'num'],
    ['Deleted', (r) => number(r.deleted), 'num'],
  ],
  data.records,
  { empty: 'No records changed in this range.' },
)}
<h2>Connections by auth state</h2>
${table(
  [
    ['State', (r) => `<span class="badge ${r[0]}">${esc(r[1])}</span>`],
    ['Connections', (r) => number(r[2]), 'num'],
  ],
  [
    ['ok', 'ok', c.ok],
    ['refresh_failing', 'refresh failing', c.refreshFailing],
    ['needs_reauth', 'needs re-auth', c.needsReauth],
  ],
)}`;
  return {
    html,
    mount(root) {
      mountCharts(root, specs);
      root.querySelector('#overview-filters').addEventListener('submit', (event) => {
        event.preventDefault();
        const form = new FormData(event.target);
        location.hash = hashOf('overview', { range: form.get('range'), integration: form.get('integration') });
      });
    },
  };
}
