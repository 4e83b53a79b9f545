import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadProviders, parseProviders } from './load-providers.js';
import { tokenResponseMetadata } from './post-connection.js';
import { supportedAuthModes } from './provider-schema.js';

// The pinned catalogue Nango ships (@nangohq/providers 0.71.10).
const catalogueFile = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');
const excludedForGood = ['MCP_OAUTH2', 'MCP_OAUTH2_GENERIC', 'INSTALL_PLUGIN'];

describe("Nango's whole providers catalogue", async () => {
  const catalog = await loadProviders(catalogueFile);
  const raw = yaml.load(readFileSync(catalogueFile, 'utf8')) as Record<string, Record<string, unknown>>;

  it('loads every entry', () => {
    expect(Object.keys(raw)).toHaveLength(1013);
    expect(catalog.keys()).toEqual(Object.keys(raw).sort());
  });

  it('marks entries usable exactly when their auth mode is in the registry and nothing else blocks them', () => {
    const usable = catalog.keys().filter((key) => catalog.support(key).supported);
    const modes = new Set(supportedAuthModes as readonly string[]);
    const unusable = catalog.keys().filter((key) => !catalog.support(key).supported);
    // Every refusal says why.
    for (const key of unusable) expect(catalog.support(key).reason, key).toMatch(/\w/);
    // Blocked besides the auth mode: mutual TLS (ADP's entries).
    const blockedOtherwise = unusable.filter((key) => modes.has(catalog.get(key)?.auth_mode ?? ''));
    expect(blockedOtherwise.sort()).toEqual([
      'adp',
      'adp-lyric',
      'adp-run',
      'adp-workforce-now',
      'adp-workforce-now-next-gen',
    ]);
    const inRegistry = catalog.keys().filter((key) => modes.has(catalog.get(key)?.auth_mode ?? ''));
    expect(usable).toHaveLength(inRegistry.length - blockedOtherwise.length);
    // Every auth mode of the catalogue except MCP_* and INSTALL_PLUGIN is in the registry (CUSTOM,
    // github-app-oauth, was the last): 1,013 - 32 MCP_* - 1 INSTALL_PLUGIN - ADP's 5 (mutual TLS).
    const modesLeftOut = new Set(
      catalog
        .keys()
        .map((key) => catalog.get(key)?.auth_mode ?? '')
        .filter((mode) => !modes.has(mode)),
    );
    expect([...modesLeftOut].sort()).toEqual([...excludedForGood].sort());
    // Never usable: MCP servers and installed plugins.
    for (const key of catalog.keys()) {
      if (excludedForGood.includes(catalog.get(key)?.auth_mode ?? '')) {
        expect(catalog.support(key)).toMatchObject({ supported: false });
      }
    }
    const usableOnceAllModes = catalog
      .keys()
      .filter((key) => !excludedForGood.includes(catalog.get(key)?.auth_mode ?? ''))
      .filter((key) => !blockedOtherwise.includes(key));
    expect(usableOnceAllModes).toHaveLength(975);
    expect(usable).toEqual(usableOnceAllModes);
    expect(usable.length).toBe(975);
    expect(usable.length).toBeGreaterThanOrEqual(975);
  });

  it('warns per entry with file:line for fields Nango acts on and Weft does not', () => {
    const lines = readFileSync(catalogueFile, 'utf8').split('\n');
    expect(catalog.warnings.length).toBeGreaterThan(0);
    for (const warning of catalog.warnings) {
      expect(warning.message).toBe(
        `${catalogueFile}:${warning.line} ${warning.provider}.${warning.field}: ${warning.reason}`,
      );
      // The line holds the field (or, for a field inherited through `alias`, the aliased entry's).
      const leaf = warning.field.split('.').at(-1) as string;
      expect(lines[warning.line - 1], warning.message).toContain(`${leaf}:`);
    }
    const hubspot = catalog.warnings.filter((w) => w.provider === 'hubspot').map((w) => w.field);
    expect(hubspot).toEqual(
      expect.arrayContaining(['webhook_routing_script', 'pre_connection_deletion_script', 'proxy.retry.remaining']),
    );
    // Scripts with a declarative equivalent are not warned about.
    expect(catalog.warnings.find((w) => w.provider === 'salesforce' && w.field === 'post_connection_script')).toBe(
      undefined,
    );
  });

  it('keeps the fields the five entries Weft used to refuse use, with their values', () => {
    expect(catalog.get('kno-commerce')?.body_format).toBe('query');
    expect(catalog.get('sage-intacct')?.body_format).toBe('xml');
    expect(catalog.get('tableau')?.token_params).toMatchObject({
      credentials: { personalAccessTokenName: '${credentials.pat}', site: { contentUrl: '${credentials.contentUrl}' } },
    });
    // GET /providers answers the entry as written, not coerced.
    expect(catalog.entry('ecu360')?.token_params).toMatchObject({ isEncrypted: false });
  });

  it("merges aliases as Nango does: an entry's own field replaces the aliased one whole", () => {
    // google-mail sets its own proxy, so Google's generic pagination does not leak into Gmail.
    expect(catalog.get('google-mail')?.proxy?.paginate).toBeUndefined();
    expect(catalog.get('google-mail')?.auth_mode).toBe('OAUTH2');
    expect(catalog.get('google-mail')?.authorization_url).toBe(catalog.get('google')?.authorization_url);
  });

  it("copies token_response_metadata fields into connection_config, dotted paths included (Nango's getConnectionMetadata)", () => {
    const salesforce = catalog.get('salesforce');
    if (salesforce === undefined) throw new Error('salesforce missing');
    expect(
      tokenResponseMetadata(salesforce, { access_token: 't', instance_url: 'https://acme.my.salesforce.com', id: 'x' }),
    ).toEqual({ instance_url: 'https://acme.my.salesforce.com' });
    const slack = catalog.get('slack');
    if (slack === undefined) throw new Error('slack missing');
    expect(
      tokenResponseMetadata(slack, { bot_user_id: 'U1', team: { id: 'T1', name: 'n' }, incoming_webhook: { url: 7 } }),
    ).toEqual({ bot_user_id: 'U1', 'team.id': 'T1' });
  });
});

describe('a malformed catalogue still stops start-up', () => {
  it('names file:line and the field of a wrong-typed value', () => {
    const text = ['fine:', '    auth_mode: OAUTH2', 'broken:', '    auth_mode: OAUTH2', '    body_format: yaml'].join(
      '\n',
    );
    expect(() => parseProviders(text, 'p.yaml')).toThrow(
      /p\.yaml:5 broken\.body_format: must be form, json, query or xml/,
    );
    const nested = ['x:', '    auth_mode: OAUTH2', '    token_params:', '        a:', '            - 1'].join('\n');
    expect(() => parseProviders(nested, 'n.yaml')).toThrow(/n\.yaml:\d+ x\.token_params\.a: /);
    const metadata = ['y:', '    auth_mode: OAUTH2', '    token_response_metadata: instance_url'].join('\n');
    expect(() => parseProviders(metadata, 'm.yaml')).toThrow(/m\.yaml:3 y\.token_response_metadata: must be a list/);
  });
});
