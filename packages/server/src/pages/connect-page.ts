import type { Integration, ProviderDefinition } from '@weft/auth';
import { credentialFieldsFor, requiredConnectionConfig, usesRedirect } from '@weft/auth';
import { escapeHtml, layout } from './html.js';

function field(name: string, label: string, type = 'text', extra = ''): string {
  const id = `f-${name.replace(/[^\w-]/g, '_')}`;
  return `<label for="${id}">${escapeHtml(label)}</label><input id="${id}" name="${escapeHtml(name)}" type="${type}" required ${extra}>`;
}

/** Inputs for the provider's declared `credentials` (TWO_STEP, JWT, SIGNATURE, …): secrets as password fields. */
function declaredCredentialFields(provider: ProviderDefinition): string {
  return Object.entries(credentialFieldsFor(provider))
    .filter(([, spec]) => !spec.automated)
    .map(([name, spec]) => {
      const label = spec.title || spec.description || name;
      // No `pattern` here: Nango's patterns for PEM keys expect escaped newlines a browser input cannot hold.
      const html = field(
        `credentials.${name}`,
        label,
        spec.secret ? 'password' : 'text',
        spec.secret ? 'autocomplete="off"' : '',
      );
      return spec.optional ? html.replace(' required ', ' ') : html;
    })
    .join('');
}

/** The connect page: one card per allowed integration, asking exactly what its provider needs. */
export function connectPage(
  sessionToken: string,
  integrations: Array<{ integration: Integration; provider: ProviderDefinition }>,
): string {
  const cards = integrations.map(({ integration, provider }) => {
    const key = escapeHtml(integration.uniqueKey);
    const configFields = requiredConnectionConfig(provider)
      .map(([name, spec]) =>
        field(
          `connection_config.${name}`,
          spec.title || spec.description || name,
          'text',
          spec.pattern ? `pattern="${escapeHtml(spec.pattern)}"` : '',
        ),
      )
      .join('');
    const hidden = `<input type="hidden" name="connect_session_token" value="${escapeHtml(sessionToken)}">`;
    let form: string;
    if (usesRedirect(provider.auth_mode)) {
      form = `<form method="get" action="/oauth/connect/${key}" data-integration="${key}">${hidden}${configFields}<button type="submit">Connect ${escapeHtml(integration.displayName)}</button></form>`;
    } else {
      const secret =
        provider.auth_mode === 'API_KEY'
          ? field('api_key', provider.credentials?.apiKey?.title ?? 'API key', 'password', 'autocomplete="off"')
          : provider.auth_mode === 'BASIC'
            ? `${field('username', 'Username')}${field('password', 'Password', 'password', 'autocomplete="off"')}`
            : declaredCredentialFields(provider);
      form = `<form method="post" action="/connect/credentials/${key}" data-integration="${key}">${hidden}${configFields}${secret}<button type="submit">Connect ${escapeHtml(integration.displayName)}</button></form>`;
    }
    return `<div class="card"><h2>${escapeHtml(integration.displayName)}</h2>${form}</div>`;
  });
  const body =
    cards.length === 0
      ? '<h1>Nothing to connect</h1><p>This session allows no configured integration.</p>'
      : `<h1>Connect an account</h1>${cards.join('')}<p class="muted">Your credentials are sent to the provider or stored encrypted; this page never shows them again.</p>`;
  return layout('Connect an account', body);
}

/** Shown after a successful connection; tells an opener window and closes when it was a popup. */
export function connectedPage(connection: { connectionId: string; providerConfigKey: string }): string {
  const message = JSON.stringify({
    type: 'weft:connected',
    connectionId: connection.connectionId,
    providerConfigKey: connection.providerConfigKey,
  }).replace(/</g, '\\u003c');
  return layout(
    'Connected',
    `<h1 id="result" data-state="connected">Connected ✓</h1><p>Your <code>${escapeHtml(connection.providerConfigKey)}</code> account is connected. You can close this window.</p>
<script>if (window.opener) { window.opener.postMessage(${message}, '*'); window.close(); }</script>`,
  );
}

export function errorPage(error: { code: string; message: string }): string {
  const message = JSON.stringify({ type: 'weft:error', code: error.code, message: error.message }).replace(
    /</g,
    '\\u003c',
  );
  return layout(
    'Connection failed',
    `<div class="card error"><h1 id="result" data-state="error">Connection failed</h1><p>${escapeHtml(error.message)}</p><p class="muted">Error code <code id="error-code">${escapeHtml(error.code)}</code></p></div>
<script>if (window.opener) window.opener.postMessage(${message}, '*');</script>`,
  );
}
