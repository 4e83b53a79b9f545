// Integration page: provider, scopes, client-secret expiry warning, deployed scripts and their
// versions with each deploy's diff and a rollback, and "test connect" (opens the connect flow).
import { api } from './api.js';
import { badge, esc, hashOf, link, number, params, table, when } from './format.js';

export async function integration() {
  const key = params().get('key');
  if (!key) return `<h1>Integration</h1><p>Pick one from ${link('/integrations', 'the list')}.</p>`;
  const k = encodeURIComponent(key);
  const [{ data: i }, status, { data: scripts }, { deployments }] = await Promise.all([
    api(`/integrations/${k}`),
    api(`/integrations/${k}/status`),
    api(`/scripts/config?provider_config_key=${k}`),
    api(`/deployments?provider_config_key=${k}`),
  ]);
  const diff = (summary) =>
    Object.entries(summary ?? {})
      .filter(([, v]) => Array.isArray(v) && v.length > 0)
      .map(([name, v]) => `<div><span class="muted">${esc(name)}:</span> ${esc(v.join(', '))}</div>`)
      .join('') || '<span class="muted">no script changes</span>';
  const html = `<h1>Integration ${esc(key)}</h1>
${(i.warnings ?? []).map((w) => `<p class="warning" role="note">${esc(w)}</p>`).join('')}
<dl class="facts">
  <dt>Provider</dt><dd>${esc(i.provider)}${i.display_name ? ` (${esc(i.display_name)})` : ''}</dd>
  <dt>Auth mode</dt><dd>${esc(i.auth_mode ?? '—')}</dd>
  <dt>Client id</dt><dd>${i.credentials?.client_id ? `<code>${esc(i.credentials.client_id)}</code>` : '—'}</dd>
  <dt>Scopes</dt><dd>${i.credentials?.scopes?.length ? i.credentials.scopes.map((s) => `<code>${esc(s)}</code>`).join(' ') : '—'}</dd>
  <dt>Client secret expires</dt><dd>${when(i.client_secret_expires_at)}</dd>
  <dt>Connections</dt><dd>${link(hashOf('connections', { integration: key }), `${number(status.connections.total)} connections`)} · ${number(status.connections.ok)} ok · ${number(status.connections.failing)} failing · ${number(status.connections.needs_reauth)} need re-auth</dd>
</dl>
<p><button type="button" id="test-connect">Test connect</button> <span id="test-connect-link" aria-live="polite"></span>
${link(hashOf('overview', { integration: key }), 'Overview of this integration')} · ${link(hashOf('logs', { integration: key }), 'Logs')}</p>
<h2>Deployed scripts</h2>
${table(
  [
    ['Script', (s) => esc(s.name)],
    ['Type', (s) => esc(s.type)],
    ['Version', (s) => esc(s.version ?? '—')],
    ['File', (s) => (s.file ? `<code>${esc(s.file)}</code>` : '—')],
    ['Runs', (s) => (s.type === 'sync' ? esc(s.definition?.frequency ?? s.definition?.runs ?? '—') : '—')],
  ],
  scripts,
  { empty: 'Nothing deployed yet: `weft deploy` or `nango deploy`.' },
)}
<h2>Deploy history</h2>
${table(
  [
    ['Version', (d) => `v${esc(d.version)}`],
    ['State', (d) => (d.active ? badge('ACTIVE') : '')],
    ['Changes', (d) => diff(d.summary)],
    ['Deployed', (d) => when(d.created_at)],
  ],
  deployments,
  { empty: 'No deployments.' },
)}
${deployments.length > 1 ? '<p><button type="button" class="secondary" id="rollback">Roll back to the previous version</button></p>' : ''}`;
  return {
    html,
    mount(root) {
      root.querySelector('#test-connect').addEventListener('click', async () => {
        const { data } = await api('/connect/sessions', {
          method: 'POST',
          body: JSON.stringify({ end_user: { id: 'dashboard-test-connect' }, allowed_integrations: [key] }),
        });
        const target = root.querySelector('#test-connect-link');
        target.innerHTML = `<a href="${esc(data.connect_link)}" target="_blank" rel="noopener" id="test-connect-url">Open the connect page</a>`;
        target.querySelector('a').focus();
        window.open(data.connect_link, '_blank', 'noopener');
      });
      root.querySelector('#rollback')?.addEventListener('click', async () => {
        if (!window.confirm(`Roll ${key} back to the previous deployed version?`)) return;
        const { version } = await api('/deploy/rollback', {
          method: 'POST',
          body: JSON.stringify({ provider_config_key: key }),
        });
        window.dispatchEvent(new CustomEvent('weft:flash', { detail: `Rolled back: v${version} is active` }));
        window.dispatchEvent(new Event('weft:rerender'));
      });
    },
  };
}
