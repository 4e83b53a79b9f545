import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishAuthorizationUrl, withConnectionConfigDefaults } from './oauth-client.js';
import { redirectUriMetadata, runPostConnectionSteps } from './post-connection.js';
import { type ProviderDefinition, providerSchema } from './provider-schema.js';
import { proxyBodyOf } from './proxy-body.js';
import { callTokenEndpoint } from './token-endpoint.js';

const provider = (entry: Record<string, unknown>): ProviderDefinition =>
  providerSchema.parse({ auth_mode: 'OAUTH2', ...entry });

/** A loopback HTTP server recording each request; answers with `answer(request, body)`. */
let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
let answer: (url: string) => { status: number; json: unknown } = () => ({ status: 404, json: {} });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const { status, json } = answer(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('token requests as Nango makes them', () => {
  it('token_request_auth_method basic: Basic header and the body parameters (authorization_method body)', async () => {
    answer = () => ({ status: 200, json: { access_token: 'a', expires_in: 60 } });
    await callTokenEndpoint({
      url: `${base}/token`,
      params: { grant_type: 'client_credentials' },
      clientId: 'id',
      clientSecret: 's',
      clientAuth: 'basic+body',
    });
    const last = seen.at(-1);
    expect(last?.headers.authorization).toBe(`Basic ${Buffer.from('id:s').toString('base64')}`);
    expect(new URLSearchParams(last?.body).get('client_secret')).toBe('s');
  });

  it('authorization_method header: credentials only in the Basic header', async () => {
    await callTokenEndpoint({
      url: `${base}/token`,
      params: {},
      clientId: 'id',
      clientSecret: 's',
      clientAuth: 'basic',
    });
    expect(seen.at(-1)?.headers.authorization).toMatch(/^Basic /);
    expect(new URLSearchParams(seen.at(-1)?.body).has('client_secret')).toBe(false);
  });

  it('token_request_auth_method custom: username/password; body_format query: parameters in the URL, no body', async () => {
    await callTokenEndpoint({
      url: `${base}/token?x=1`,
      params: { grant_type: 'client_credentials' },
      clientId: 'id',
      clientSecret: 's',
      clientAuth: 'custom',
      bodyFormat: 'query',
    });
    const last = seen.at(-1);
    const query = new URL(last?.url ?? '', base).searchParams;
    expect(Object.fromEntries(query)).toEqual({
      x: '1',
      grant_type: 'client_credentials',
      username: 'id',
      password: 's',
    });
    expect(last?.body).toBe('');
  });

  it('token_request_auth_method private_key_jwt: an RS256 client assertion for the token URL, no secret sent', async () => {
    answer = () => ({ status: 200, json: { access_token: 'a' } });
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'key-1' };
    await callTokenEndpoint({
      url: `${base}/oauth2/v1/token`,
      params: { grant_type: 'client_credentials' },
      clientId: 'okta-app',
      clientSecret: JSON.stringify(jwk),
      clientAuth: 'private_key_jwt',
    });
    const sent = new URLSearchParams(seen.at(-1)?.body);
    expect(sent.has('client_secret')).toBe(false);
    expect(sent.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(sent.get('client_assertion') ?? '', publicKey, {
      issuer: 'okta-app',
      subject: 'okta-app',
      audience: `${base}/oauth2/v1/token`,
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: 'key-1' });
    expect(typeof payload.jti).toBe('string');
  });

  it('alternate_access_token_response_path and expires_in_unit milliseconds', async () => {
    answer = () => ({ status: 200, json: { data: { token: 'deep' }, expires_in: 60000 } });
    const token = await callTokenEndpoint({
      url: `${base}/token`,
      params: {},
      alternateAccessTokenPath: 'data.token',
      expiresInUnit: 'milliseconds',
    });
    expect(token.access_token).toBe('deep');
    expect(token.expires_in).toBe(60);
  });
});

describe('authorization URL, callback and connection_config fields', () => {
  it("applies Nango's skip_encode scopes, fragment, replacements and skip_empty", () => {
    const url = new URL('https://auth.example.com/authorize');
    url.searchParams.set('client_id', 'c');
    url.searchParams.set('scope', 'a:read b:write');
    url.searchParams.set('empty', '');
    expect(
      finishAuthorizationUrl(
        url,
        provider({ authorization_url_skip_encode: ['scopes'], authorization_url_skip_empty: true }),
        'a:read,b:write',
      ),
    ).toBe('https://auth.example.com/authorize?client_id=c&scope=a%3Aread%2Cb%3Awrite');
    const fragment = finishAuthorizationUrl(
      new URL('https://auth.example.com/authorize?a=1'),
      provider({ authorization_url_fragment: 'login', authorization_url_replacements: { 'a=1': 'b=2' } }),
      '',
    );
    expect(fragment).toBe('https://auth.example.com/authorize#login?b=2');
  });

  it('redirect_uri_metadata keeps only the declared callback parameters', () => {
    expect(
      redirectUriMetadata(provider({ redirect_uri_metadata: ['realmId'] }), { code: 'c', realmId: '42', x: 'y' }),
    ).toEqual({ realmId: '42' });
  });

  it('fills declared default_values the end user left out, keeps what they entered', () => {
    const p = provider({
      connection_config: { version: { default_value: '2024-01' }, region: { default_value: 'eu' } },
    });
    expect(withConnectionConfigDefaults(p, { region: 'us' })).toEqual({ version: '2024-01', region: 'us' });
  });
});

describe('post-connection steps (the equivalent of Nango post_connection_scripts)', () => {
  it('reads a JWT claim, calls the API with the new credentials and picks fields, derives a value', async () => {
    answer = (url) =>
      url === '/oauth2/metadata'
        ? { status: 200, json: { dc: 'us21', login: { email: 'x' } } }
        : { status: 200, json: { data: { account: { id: 'acc-1' } } } };
    const claims = Buffer.from(JSON.stringify({ tid: 'tenant-9' })).toString('base64url');
    const result = await runPostConnectionSteps({
      provider: provider({
        proxy: { base_url: `${base}/api` },
        post_connection: [
          { claim: 'tid', as: 'tenantId' },
          { request: { endpoint: '/oauth2/metadata', base_url_override: base }, pick: { dc: 'dc' } },
          {
            request: { method: 'POST', endpoint: 'graphql', data: { query: 'q' } },
            pick: { accountId: 'data.account.id' },
          },
          { derive: 'api_domain', pattern: 'zohoapis\\.([^/]+)', as: 'extension' },
        ],
      }),
      credentials: { type: 'OAUTH2', access_token: `h.${claims}.s`, raw: {} },
      connectionConfig: { dc: '' },
      tokenResponse: { api_domain: 'https://www.zohoapis.eu' },
    });
    expect(result).toEqual({
      connectionConfig: { tenantId: 'tenant-9', dc: 'us21', accountId: 'acc-1', extension: 'eu' },
      errors: [],
    });
    const graphql = seen.at(-1);
    expect(graphql).toMatchObject({ method: 'POST', url: '/api/graphql', body: '{"query":"q"}' });
    expect(graphql?.headers.authorization).toBe(`Bearer h.${claims}.s`);
  });

  it('never overwrites what the end user supplied; a failed call is reported, not thrown', async () => {
    answer = (url) => (url === '/meta' ? { status: 200, json: { dc: 'us21' } } : { status: 500, json: {} });
    const result = await runPostConnectionSteps({
      provider: provider({
        proxy: { base_url: base },
        post_connection: [
          { request: { endpoint: '/meta' }, pick: { dc: 'dc' } },
          { request: { endpoint: '/broken' }, pick: { other: 'x' } },
        ],
      }),
      credentials: { type: 'OAUTH2', access_token: 'opaque', raw: {} },
      connectionConfig: { dc: 'mine' },
    });
    expect(result).toEqual({ connectionConfig: {}, errors: ['post_connection /broken: HTTP 500'] });
  });
});

describe('proxy.body', () => {
  it('templates leaves with credentials and connection_config, dropping unresolved ones', () => {
    const p = provider({
      auth_mode: 'API_KEY',
      proxy: {
        base_url: base,
        body: { key: '${apiKey}', auth: { acct: '${connectionConfig.acct}', none: '${connectionConfig.x}' } },
      },
    });
    expect(proxyBodyOf(p, { type: 'API_KEY', apiKey: 'k' }, { acct: 'A' })).toEqual({ key: 'k', auth: { acct: 'A' } });
  });
});
