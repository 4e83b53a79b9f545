// Weft dashboard: a dependency-free single page over the public REST API. The secret key stays
// in sessionStorage of this tab and is only ever sent as the Authorization header to this origin.
(() => {
  const $ = (sel) => document.querySelector(sel);
  const esc = (v) =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
    );
  const key = () => sessionStorage.getItem('weft-key');
  const main = () => $('#main');

  async function api(path, init = {}) {
    const response = await fetch(path, {
      ...init,
      headers: {
        authorization: `Bearer ${key()}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.headers || {}),
      },
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    if (response.status === 401) {
      sessionStorage.removeItem('weft-key');
      render();
      throw new Error('Secret key refused');
    }
    if (!response.ok)
      throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
    return body;
  }

  function table(columns, rows) {
    if (rows.length === 0) return '<p class="muted">Nothing here yet.</p>';
    return `<table><thead><tr>${columns.map((c) => `<th>${esc(c[0])}</th>`).join('')}</tr></thead><tbody>${rows
      .map((r) => `<tr>${columns.map((c) => `<td>${c[1](r)}</td>`).join('')}</tr>`)
      .join('')}</tbody></table>`;
  }
  const badge = (state) => `<span class="badge ${esc(String(state).toLowerCase())}">${esc(state)}</span>`;
  const link = (hash, text) => `<a href="#${esc(hash)}">${esc(text)}</a>`;
  const params = () => new URLSearchParams(location.hash.split('?')[1] || '');
  const flash = (text, error) => {
    $('#flash').textContent = text;
    $('#flash').className = error ? 'error' : 'ok';
  };

  const views = {
    async integrations() {
      const { data } = await api('/integrations');
      const statuses = await Promise.all(
        data.map((i) => api(`/integrations/${encodeURIComponent(i.unique_key)}/status`)),
      );
      return `<h1>Integrations</h1>${table(
        [
          ['Key', (i) => link(`/connections?integration=${i.unique_key}`, i.unique_key)],
          ['Provider', (i) => esc(i.provider)],
          ['Connections', (i, n) => esc(statuses.find((s) => s.unique_key === i.unique_key)?.connections.total ?? 0)],
          [
            'Health',
            (i) => {
              const s = statuses.find((x) => x.unique_key === i.unique_key);
              return s
                ? `${s.connections.ok} ok · ${s.connections.failing} failing · ${s.connections.needs_reauth} re-auth`
                : '';
            },
          ],
          ['Warnings', (i) => esc(i.warnings.join(' '))],
          [
            '',
            (i) =>
              `${link(`/syncs?integration=${i.unique_key}`, 'syncs')} · ${link(`/deploys?integration=${i.unique_key}`, 'deploys')}`,
          ],
        ],
        data,
      )}`;
    },
    async connections() {
      const integration = params().get('integration');
      const { connections } = await api(
        `/connections${integration ? `?provider_config_key=${encodeURIComponent(integration)}` : ''}`,
      );
      return `<h1>Connections${integration ? ` of ${esc(integration)}` : ''}</h1>${table(
        [
          ['Connection', (c) => esc(c.connection_id)],
          ['Integration', (c) => esc(c.provider_config_key)],
          ['Auth', (c) => badge(c.auth_state)],
          ['End user', (c) => esc(c.end_user?.id ?? '')],
          ['Created', (c) => esc(c.created_at)],
          [
            '',
            (c) =>
              `${link(`/syncs?integration=${c.provider_config_key}&connection=${c.connection_id}`, 'syncs')} · ${link(`/records?integration=${c.provider_config_key}&connection=${c.connection_id}`, 'records')}`,
          ],
        ],
        connections,
      )}`;
    },
    async syncs() {
      const integration = params().get('integration');
      const connection = params().get('connection');
      if (!integration) return '<h1>Syncs</h1><p>Pick an integration first.</p>';
      const q = new URLSearchParams({
        provider_config_key: integration,
        ...(connection ? { connection_id: connection } : {}),
      });
      const [{ syncs }, { runs }] = await Promise.all([
        api(`/sync/status?${q}`),
        api(
          `/sync/runs?${new URLSearchParams({ provider_config_key: integration, ...(connection ? { connection_id: connection } : {}), limit: '20' })}`,
        ),
      ]);
      const action = (kind, s) =>
        `<button data-sync-action="${kind}" data-integration="${esc(integration)}" data-sync="${esc(s.name)}" data-connection="${esc(s.connection_id)}">${kind}</button>`;
      return `<h1>Syncs of ${esc(integration)}</h1>${table(
        [
          ['Connection', (s) => esc(s.connection_id)],
          ['Sync', (s) => esc(s.name)],
          ['Status', (s) => badge(s.status)],
          [
            'Last result',
            (s) =>
              esc(
                Object.entries(s.latestResult || {})
                  .map(([m, c]) => `${m} +${c.added} ~${c.updated} -${c.deleted}`)
                  .join(', '),
              ),
          ],
          ['Next run', (s) => esc(s.nextScheduledSyncAt ?? '')],
          ['', (s) => `${action('trigger', s)} ${s.status === 'PAUSED' ? action('start', s) : action('pause', s)}`],
        ],
        syncs,
      )}<h2>Recent runs</h2>${table(
        [
          [
            'Run',
            (r) =>
              `<details><summary>${esc(r.id.slice(0, 8))}</summary><pre>${esc(JSON.stringify(r.error ?? r.counts, null, 2))}</pre></details>`,
          ],
          ['Connection', (r) => esc(r.external_id)],
          ['Sync', (r) => esc(r.sync_name)],
          ['Status', (r) => badge(r.status)],
          ['Started', (r) => esc(r.started_at ?? '')],
          ['Logs', (r) => link(`/logs?connection=${r.external_id}`, 'logs')],
        ],
        runs,
      )}`;
    },
    async logs() {
      const connection = params().get('connection');
      const { operations } = await api(
        `/logs?${new URLSearchParams({ ...(connection ? { connection_id: connection } : {}), limit: '100' })}`,
      );
      return `<h1>Logs${connection ? ` of ${esc(connection)}` : ''}</h1>${table(
        [
          ['At', (o) => esc(o.at)],
          ['Type', (o) => esc(o.type)],
          ['State', (o) => badge(o.state)],
          [
            'What',
            (o) =>
              `${esc(o.name)}${o.messages.length ? `<pre>${esc(o.messages.map((m) => `${m.level} ${m.message}`).join('\n'))}</pre>` : ''}`,
          ],
          ['Message', (o) => esc(o.message ?? '')],
        ],
        operations,
      )}`;
    },
    async records() {
      const p = params();
      const integration = p.get('integration');
      const connection = p.get('connection');
      if (!integration || !connection) return '<h1>Records</h1><p>Open a connection first.</p>';
      const { data } = await api(`/scripts/config?provider_config_key=${encodeURIComponent(integration)}`);
      const models = [
        ...new Set(data.filter((s) => s.type === 'sync').flatMap((s) => Object.keys(s.definition.models || {}))),
      ];
      const model = p.get('model') || models[0];
      if (!model) return '<h1>Records</h1><p>No models deployed.</p>';
      const cursor = p.get('cursor');
      const page = await api(`/records?${new URLSearchParams({ model, limit: '50', ...(cursor ? { cursor } : {}) })}`, {
        headers: { 'connection-id': connection, 'provider-config-key': integration },
      });
      const tabs = models
        .map((m) => link(`/records?integration=${integration}&connection=${connection}&model=${m}`, m))
        .join(' · ');
      const next = page.next_cursor
        ? link(
            `/records?integration=${integration}&connection=${connection}&model=${model}&cursor=${page.next_cursor}`,
            'next page →',
          )
        : '';
      return `<h1>Records of ${esc(connection)} — ${esc(model)}</h1><p>${tabs}</p>${table(
        [
          ['Id', (r) => esc(r.id)],
          ['Action', (r) => badge(r._nango_metadata.last_action)],
          ['Modified', (r) => esc(r._nango_metadata.last_modified_at)],
          [
            'Record',
            (r) => {
              const { _nango_metadata, ...rest } = r;
              return `<code>${esc(JSON.stringify(rest).slice(0, 200))}</code>`;
            },
          ],
        ],
        page.records,
      )}<p>${next}</p>`;
    },
    async webhooks() {
      const { deliveries } = await api('/webhooks/deliveries?limit=50');
      return `<h1>Webhook deliveries</h1>${table(
        [
          ['Id', (d) => esc(d.id)],
          ['Event', (d) => esc(`${d.event_type} ${d.event_id.slice(0, 8)}`)],
          ['URL', (d) => esc(d.url)],
          ['State', (d) => badge(d.state)],
          ['Attempts', (d) => esc(d.attempts)],
          ['Last error', (d) => esc(d.last_error ?? '')],
          ['', (d) => `<button data-replay="${esc(d.id)}">replay</button>`],
        ],
        deliveries,
      )}`;
    },
    async deploys() {
      const integration = params().get('integration');
      if (!integration) return '<h1>Deploys</h1><p>Pick an integration first.</p>';
      const { deployments } = await api(`/deployments?provider_config_key=${encodeURIComponent(integration)}`);
      return `<h1>Deploy history of ${esc(integration)}</h1>${table(
        [
          ['Version', (d) => esc(d.version)],
          ['Active', (d) => (d.active ? badge('ACTIVE') : '')],
          ['Changes', (d) => esc(JSON.stringify(d.summary))],
          ['At', (d) => esc(d.created_at)],
        ],
        deployments,
      )}`;
    },
  };

  async function render() {
    const nav = $('#nav');
    if (!key()) {
      nav.hidden = true;
      main().innerHTML = `<h1>Weft</h1><form id="login"><label for="key">Secret key</label><input id="key" type="password" autocomplete="off" placeholder="weft_sk_…"><button type="submit">Sign in</button></form><p class="muted">Print it with <code>weft env show</code>.</p>`;
      return;
    }
    nav.hidden = false;
    const view = location.hash.slice(2).split('?')[0] || 'integrations';
    main().innerHTML = '<p class="muted">Loading…</p>';
    try {
      main().innerHTML = await (views[view] || views.integrations)();
      main().dataset.view = view;
    } catch (error) {
      main().innerHTML = `<p class="error">${esc(error.message)}</p>`;
    }
  }

  document.addEventListener('submit', async (event) => {
    if (event.target.id !== 'login') return;
    event.preventDefault();
    sessionStorage.setItem('weft-key', $('#key').value.trim());
    try {
      await api('/environment');
      location.hash = '#/integrations';
      render();
    } catch (error) {
      flash(error.message, true);
    }
  });

  document.addEventListener('click', async (event) => {
    const target = event.target;
    try {
      if (target.dataset.syncAction) {
        const { syncAction, integration, sync, connection } = target.dataset;
        await api(`/sync/${syncAction}`, {
          method: 'POST',
          body: JSON.stringify({ provider_config_key: integration, syncs: [sync], connection_id: connection }),
        });
        flash(`${syncAction}: ${sync} of ${connection}`);
        render();
      } else if (target.dataset.replay) {
        await api(`/webhooks/deliveries/${target.dataset.replay}/replay`, { method: 'POST' });
        flash(`Replay of delivery ${target.dataset.replay} queued`);
        render();
      } else if (target.id === 'logout') {
        sessionStorage.removeItem('weft-key');
        render();
      }
    } catch (error) {
      flash(error.message, true);
    }
  });

  window.addEventListener('hashchange', render);
  render();
})();
