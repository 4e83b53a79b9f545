import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';
import { loadProviders, parseProviders } from './load-providers.js';

describe('providers.yaml', () => {
  it('loads the shipped catalogue with every required entry, aliases merged', async () => {
    const catalog = await loadProviders(new URL('../../../providers.yaml', import.meta.url).pathname);
    for (const key of [
      'microsoft',
      'microsoft-tenant-specific',
      'one-drive',
      'one-drive-personal',
      'sharepoint-online',
      'outlook',
      'one-note',
      'azure-blob-storage',
      'github',
      'microsoft-oauth2-cc',
      'github-pat',
      'basic-http',
    ]) {
      expect(catalog.get(key), key).toBeDefined();
    }
    const blob = catalog.get('azure-blob-storage');
    expect(blob).toMatchObject({
      auth_mode: 'OAUTH2',
      token_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      default_scopes: ['offline_access', 'https://storage.azure.com/.default'],
      proxy: {
        base_url: 'https://${connectionConfig.accountName}.blob.core.windows.net',
        retry: { after: ['retry-after'] },
      },
    });
    expect(catalog.get('sharepoint-online')?.secondary_tokens?.[0]?.name).toBe('sharepointAccessToken');
    expect(catalog.get('one-drive-personal')?.authorization_url).toContain('/consumers/');
  });

  it('accepts Nango-format entries Weft does not use (other auth modes, token_url maps, extra fields)', () => {
    const catalog = parseProviders(
      [
        'app-style:',
        '    auth_mode: APP',
        '    authorization_url: ${connectionConfig.appPublicLink}/installations/new',
        '    token_url:',
        '        OAUTH2: https://example.com/oauth/token',
        '        APP: https://example.com/app/${connectionConfig.installation_id}/tokens',
        '    webhook_routing_script: someHook',
        '    categories: [dev-tools]',
        'two-step:',
        '    auth_mode: TWO_STEP',
        '    body_format: form',
        '    token_response:',
        '        token: access_token',
        '    token_params:',
        '        resource: https://${connectionConfig.tenantId}.example.com',
        '        expires: 3600',
      ].join('\n'),
      'nango.yaml',
    );
    expect(catalog.keys()).toEqual(['app-style', 'two-step']);
    expect(catalog.get('two-step')?.token_params?.expires).toBe('3600');
  });

  it('reports file:line, key, field and reason for every bad entry', () => {
    const text = [
      'good:',
      '    auth_mode: OAUTH2',
      'bad:',
      '    display_name: Bad',
      '    disable_pkce: maybe',
      '    auth_mode: OAUTH2',
      'orphan:',
      '    alias: nowhere',
      'nomode:',
      '    display_name: X',
    ].join('\n');
    let error: unknown;
    try {
      parseProviders(text, 'providers.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'WEFT_AUTH_PROVIDERS_INVALID' });
    const problems = (error as { details: { problems: string[] } }).details.problems;
    expect(problems).toContain('providers.yaml:5 bad.disable_pkce: must be true or false');
    expect(problems).toContain('providers.yaml:8 orphan.alias: unknown provider "nowhere"');
    expect(problems.find((p) => p.startsWith('providers.yaml:9 nomode.auth_mode:'))).toBeDefined();
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseProviders('a:\n  b: [1, 2\nc: 3', 'p.yaml')).toThrow(/p\.yaml:\d+: YAML syntax error/);
  });
});

describe('interpolate', () => {
  it('fills connectionConfig, credentials and top-level values; `||` falls back', () => {
    expect(
      interpolate('https://${connectionConfig.accountName}.blob.core.windows.net', {
        connectionConfig: { accountName: 'acct' },
      }),
    ).toBe('https://acct.blob.core.windows.net');
    expect(interpolate('${connectionConfig.version} || 2025-05-05', { connectionConfig: {} })).toBe('2025-05-05');
    expect(
      interpolate('${connectionConfig.version} || 2025-05-05', { connectionConfig: { version: '2024-01-01' } }),
    ).toBe('2024-01-01');
    expect(interpolate('Bearer ${apiKey}', { apiKey: 'k' })).toBe('Bearer k');
    expect(interpolate('${credentials.token}', { credentials: { token: 't' } })).toBe('t');
    expect(interpolate('https://${connectionConfig.tenant}/x', { connectionConfig: {} })).toBeUndefined();
  });
});
