import { describe, expect, it } from 'vitest';
import { parseProviders } from './load-providers.js';
import { webhookRoutingRuleOf } from './webhook-routing-rule.js';

describe('providers.yaml webhook_routing', () => {
  it('a valid rule loads with its defaults; a Nango routing script with an equivalent gets that rule, without a warning', () => {
    const catalog = parseProviders(
      [
        'hooky:',
        '  auth_mode: API_KEY',
        '  webhook_routing:',
        '    connection: { path: account.id, match: connection_config.accountId }',
        '    event_type: { from: header, path: X-Event }',
        '    batch: events',
        'github-app-like:',
        '  auth_mode: APP',
        '  webhook_routing_script: githubAppWebhookRouting',
        'unknown-script:',
        '  auth_mode: API_KEY',
        '  webhook_routing_script: somethingElseRouting',
      ].join('\n'),
      'providers.yaml',
    );
    expect(webhookRoutingRuleOf(catalog.get('hooky') ?? {})).toEqual({
      connection: { from: 'body', path: 'account.id', match: 'connection_config.accountId' },
      event_type: { from: 'header', path: 'X-Event' },
      batch: 'events',
    });
    expect(webhookRoutingRuleOf(catalog.get('github-app-like') ?? {})?.connection).toMatchObject({
      path: 'installation.id',
      match: 'connection_config.installation_id',
    });
    const warned = catalog.warnings.filter((w) => w.field === 'webhook_routing_script').map((w) => w.provider);
    expect(warned).toEqual(['unknown-script']);
    expect(webhookRoutingRuleOf(catalog.get('unknown-script') ?? {})).toBeUndefined();
  });

  it('a malformed rule stops loading with file:line, the entry and the field', () => {
    const load = () =>
      parseProviders(
        [
          'hooky:',
          '  auth_mode: API_KEY',
          '  webhook_routing:',
          '    connection: { path: account.id, match: somewhere.else }',
        ].join('\n'),
        'providers.yaml',
      );
    expect(load).toThrow(/providers\.yaml:\d+.*hooky.*webhook_routing\.connection\.match.*connection_config\.<key>/s);
    expect(() =>
      parseProviders(['hooky:', '  auth_mode: API_KEY', '  webhook_routing: { surprise: 1 }'].join('\n'), 'p.yaml'),
    ).toThrow(/webhook_routing/);
  });
});
