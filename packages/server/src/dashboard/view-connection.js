// Connection page: auth state, metadata (editable JSON, validated before it is sent), its syncs
// with their last runs and failures, records per model with cursor paging and a JSON view, and a
// "reconnect" link (a connect session for the same end user).
import { api } from './api.js';
import {
  badge,
  between,
  duration,
  esc,
  failure,
  hashOf,
  link,
  number,
  params,
  shortId,
  table,
  when,
} from './format.js';

export async function connection() {
  const p = params();
  const integration = p.get('integration');
  const id = p.get('connection');
  if (!integration || !id)
    return `<h1>Connection</h1><p>Open a connection from ${link('/connections', 'the list')}.</p>`;
  const ref = new URLSearchParams({ provider_config_key: integration, connection_id: id });
  const [c, { syncs }, { runs }, { data: scripts }] = await Promise.all([
    api(`/dashboard/api/connection?${ref}`),
    api(`/sync/status?${ref}`),
    api(`/sync/runs?${new URLSearchParams({ provider_config_key: integration, connection_id: id, limit: '10' })}`),
    api(`/scripts/config?provider_config_key=${encodeURIComponent(integration)}`),
  ]);
  const models = [
    ...new Set([
      ...scripts.filter((s) => s.type === 'sync').flatMap((s) => Object.keys(s.definition?.models || {})),
      ...c.records.map((r) => r.model),
    ]),
  ];
  const model = p.get('model') || models[0];
  const cursor = p.get('cursor');
  const page = model
    ? await api(`/records?${new URLSearchParams({ model, limit: '25', ...(cursor ? { cursor } : {}) })}`, {
        headers: { 'connection-id': id, 'provider-config-key': integration },
      })
    : null;
  const here = (extra) => hashOf('connection', { integration, connection: id, ...extra });
  const syncAction = (kind, s) =>
    `<button type="button" class="secondary" data-sync-action="${kind}" data-integration="${esc(integration)}" data-sync="${esc(s.name)}" data-connection="${esc(id)}">${kind}</button>`;
  const html = `<h1>Connection ${esc(id)}</h1>
<dl class="facts">
  <dt>Integration</dt><dd>${link(hashOf('integration', { key: integration }), integration)}</dd>
  <dt>Auth state</dt><dd>${badge(c.auth_state)}${c.last_refresh_error ? ` <span class="error-text">${esc(c.last_refresh_error)}</span>` : ''}</dd>
  <dt>Last refresh</dt><dd>${when(c.last_refresh_at)}</dd>
  <dt>Credentials expire</dt><dd>${when(c.credentials_expires_at)}</dd>
  <dt>End user</dt><dd>${esc(c.end_user?.id ?? '—')}${c.end_user?.email ? ` (${esc(c.end_user.email)})` : ''}</dd>
  <dt>Created</dt><dd>${when(c.created_at)}</dd>
</dl>
<p><button type="button" id="reconnect">Reconnect</button> <span id="reconnect-link" aria-live="polite"></span>
${link(hashOf('logs', { connection: id, integration }), 'Logs of this connection')}</p>

<h2>Syncs</h2>
${table(
  [
    ['Sync', (s) => esc(s.name)],
    ['Status', (s) => badge(s.status)],
    [
      'Last result',
      (s) =>
        esc(
          Object.entries(s.latestResult || {})
            .map(([m, n]) => `${m} +${n.added} ~${n.updated} -${n.deleted}`)
            .join(', ') || '—',
        ),
    ],
    ['Next run', (s) => when(s.nextScheduledSyncAt)],
    [
      '',
      (s) => `${syncAction('trigger', s)} ${s.status === 'PAUSED' ? syncAction('start', s) : syncAction('pause', s)}`,
    ],
  ],
  syncs,
  { empty: 'No syncs deployed for this integration.' },
)}
<h2>Last runs</h2>
${table(
  [
    ['Run', (r) => shortId(r.id)],
    ['Sync', (r) => esc(r.sync_name)],
    ['Status', (r) => badge(r.status)],
    ['Started', (r) => when(r.started_at ?? r.scheduled_for)],
    ['Took', (r) => duration(between(r.started_at, r.ended_at)), 'num'],
    [
      'Changes / error',
      (r) =>
        r.error
          ? failure(r.error)
          : esc(
              Object.entries(r.counts || {})
                .map(([m, n]) => `${m} +${n.added} ~${n.updated} -${n.deleted}`)
                .join(', '),
            ),
    ],
  ],
  runs,
  { empty: 'No runs yet.' },
)}
<h2>Metadata</h2>
<form id="metadata-form" aria-describedby="metadata-help">
<label for="metadata">Metadata (a JSON object)</label>
<textarea id="metadata" name="metadata" spellcheck="false" aria-describedby="metadata-error">${esc(JSON.stringify(c.metadata ?? {}, null, 2))}</textarea>
<p id="metadata-help" class="muted">Replaces the connection's metadata; scripts read it with <code>getMetadata()</code>.</p>
<p id="metadata-error" class="error" role="alert" hidden></p>
<button type="submit">Save metadata</button>
</form>
<h2>Records</h2>
${table(
  [
    ['Model', (r) => link(here({ model: r.model }), r.model)],
    ['Live', (r) => number(r.live), 'num'],
    ['Deleted', (r) => number(r.deleted), 'num'],
    ['Last change', (r) => when(r.last_modified_at)],
  ],
  c.records,
  { empty: 'No records stored yet.' },
)}
${
  page
    ? `<h3>${esc(model)}</h3>${table(
        [
          [
            'Id',
            (r) =>
              `<details><summary><code>${esc(r.id)}</code></summary><pre>${esc(JSON.stringify(r, null, 2))}</pre></details>`,
          ],
          ['Last action', (r) => badge(r._nango_metadata.last_action)],
          ['Modified', (r) => when(r._nango_metadata.last_modified_at)],
        ],
        page.records,
        { empty: 'No records for this model.' },
      )}<nav class="pager" aria-label="Record pages">${cursor ? link(here({ model }), '← First page') : ''}${
        page.next_cursor ? link(here({ model, cursor: page.next_cursor }), 'Next records →') : ''
      }</nav>`
    : ''
}`;
  return {
    html,
    mount(root) {
      root.querySelector('#metadata-form').addEventListener('submit', async (event) => {
        event.preventDefault();
        const area = root.querySelector('#metadata');
        const problem = root.querySelector('#metadata-error');
        let value;
        try {
          value = JSON.parse(area.value);
          if (value === null || typeof value !== 'object' || Array.isArray(value))
            throw new Error('must be a JSON object');
        } catch (error) {
          area.setAttribute('aria-invalid', 'true');
          problem.hidden = false;
          problem.textContent = `Not saved: ${error.message}`;
          area.focus();
          return;
        }
        area.removeAttribute('aria-invalid');
        problem.hidden = true;
        await api('/connection/metadata', {
          method: 'POST',
          body: JSON.stringify({ connection_id: id, provider_config_key: integration, metadata: value }),
        });
        window.dispatchEvent(new CustomEvent('weft:flash', { detail: 'Metadata saved' }));
      });
      root.querySelector('#reconnect').addEventListener('click', async () => {
        const { data } = await api('/connect/sessions', {
          method: 'POST',
          body: JSON.stringify({
            end_user: { id: c.end_user?.id ?? id, ...(c.end_user?.email ? { email: c.end_user.email } : {}) },
            allowed_integrations: [integration],
          }),
        });
        root.querySelector('#reconnect-link').innerHTML =
          `<a href="${esc(data.connect_link)}" target="_blank" rel="noopener" id="reconnect-url">Open the connect page for ${esc(c.end_user?.id ?? id)}</a> (expires ${when(data.expires_at)})`;
        root.querySelector('#reconnect-url').focus();
      });
    },
  };
}
