import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModeCredentials } from '../credentials.js';
import type { Integration } from '../integrations.js';
import type { ProviderDefinition } from '../provider-schema.js';
import type { ModeContext } from './auth-mode.js';
import { twoStepMode } from './two-step.js';

// TWO_STEP against Nango's own catalogue entries (only their URLs pointed at a loopback server):
// nested JSON bodies, token paths, expireAt/expireIn, refresh_token_params, additional_steps,
// self-signed JWT grants and token_response_metadata.
const catalogue = yaml.load(
  readFileSync(createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml'), 'utf8'),
) as Record<string, Record<string, unknown>>;

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const handler = routes.get(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    if (handler === undefined) return res.writeHead(404).end();
    handler(req, Buffer.concat(chunks).toString('utf8'), res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

function ctx(
  name: string,
  overrides: Record<string, unknown>,
  connectionConfig: Record<string, unknown> = {},
): ModeContext {
  const provider = { ...catalogue[name], ...overrides } as ProviderDefinition;
  const integration = {
    uniqueKey: name,
    provider: name,
    clientId: null,
    clientSecret: null,
    scopes: [],
  } as unknown as Integration;
  return { integration, provider, connectionConfig };
}

describe('TWO_STEP with catalogue entries', () => {
  it('tableau: nested JSON credentials body, token at credentials.token, expireAt', async () => {
    const expires = new Date(Date.now() + 4 * 3600_000).toISOString();
    routes.set('POST /api/3.26/auth/signin', (req, body, res) => {
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(body)).toEqual({
        credentials: {
          personalAccessTokenName: 'pat-name',
          personalAccessTokenSecret: 'pat-secret',
          site: { contentUrl: 'acme' },
        },
      });
      json(res, 200, { credentials: { token: 'tab-token', estimatedTimeToExpiration: expires, site: { id: 's1' } } });
    });
    const result = await twoStepMode.connect?.(
      ctx('tableau', { token_url: `${base}/api/\${connectionConfig.version}/auth/signin` }, { version: '3.26' }),
      { pat: 'pat-name', secret: 'pat-secret', contentUrl: 'acme' },
    );
    expect(result?.credentials).toMatchObject({
      type: 'TWO_STEP',
      token: 'tab-token',
      expires_at: expires,
      pat: 'pat-name',
    });
  });

  it('netsapiens: password grant, then refresh_token_params with the stored refresh token', async () => {
    const grants: Array<Record<string, string>> = [];
    routes.set('POST /ns-api/v2/tokens', (_req, body, res) => {
      const input = JSON.parse(body) as Record<string, string>;
      grants.push(input);
      const n = grants.length;
      json(res, 200, { access_token: `at-${n}`, refresh_token: `rt-${n}`, expires_in: 3600 });
    });
    const context = ctx('netsapiens', { token_url: `${base}/ns-api/v2/tokens` });
    const entered = { username: '1000@d.com', password: 'pw', client_id: 'cid', client_secret: 'cs' };
    const first = await twoStepMode.connect?.(context, entered);
    expect(first?.credentials).toMatchObject({ token: 'at-1', refresh_token: 'rt-1' });
    const refreshed = await twoStepMode.refresh?.(context, first?.credentials as ModeCredentials);
    expect(grants[1]).toEqual({
      grant_type: 'refresh_token',
      client_id: 'cid',
      client_secret: 'cs',
      refresh_token: 'rt-1',
    });
    expect(refreshed?.credentials).toMatchObject({ token: 'at-2', refresh_token: 'rt-2', username: '1000@d.com' });
    expect(Date.parse(String(refreshed?.credentials.expires_at))).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('docuware: additional_steps read earlier answers (step1, step2), GET then form POST', async () => {
    routes.set('GET /DocuWare/Platform/Home/IdentityServiceInfo', (_req, _body, res) =>
      json(res, 200, { IdentityServiceUrl: `${base}/identity` }),
    );
    routes.set('GET /identity/.well-known/openid-configuration', (_req, _body, res) =>
      json(res, 200, { token_endpoint: `${base}/identity/connect/token` }),
    );
    routes.set('POST /identity/connect/token', (req, body, res) => {
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(body))).toMatchObject({
        grant_type: 'password',
        username: 'u',
        password: 'p',
      });
      json(res, 200, { access_token: 'dw-token', expires_in: 600 });
    });
    const result = await twoStepMode.connect?.(
      ctx('docuware', { token_url: `${base}/DocuWare/Platform/Home/IdentityServiceInfo` }),
      { username: 'u', password: 'p' },
    );
    expect(result?.credentials.token).toBe('dw-token');
  });

  it('google-service-account: an RS256 JWT grant signed with the entered key, verifiable with its public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    routes.set('POST /token', async (_req, body, res) => {
      const form = Object.fromEntries(new URLSearchParams(body));
      expect(form.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      const { payload } = await jwtVerify(form.assertion ?? '', publicKey, {
        audience: 'https://oauth2.googleapis.com/token',
      });
      expect(payload).toMatchObject({
        iss: 'svc@p.iam.gserviceaccount.com',
        scope: 'https://www.googleapis.com/auth/drive',
      });
      expect(payload.sub).toBeUndefined(); // the optional delegated user was left empty
      json(res, 200, { access_token: 'ya29.token', expires_in: 3599, token_type: 'Bearer' });
    });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\n/g, '\\n');
    const result = await twoStepMode.connect?.(ctx('google-service-account', { token_url: `${base}/token` }), {
      serviceAccountEmailAddress: 'svc@p.iam.gserviceaccount.com',
      scopes: 'https://www.googleapis.com/auth/drive',
      privateKey: pem,
    });
    expect(result?.credentials.token).toBe('ya29.token');
  });

  it('salesforce-jwt: token_response_metadata (instance_url) lands in connection_config', async () => {
    routes.set('POST /services/oauth2/token', (_req, _body, res) =>
      json(res, 200, { access_token: 'sf-token', instance_url: 'https://acme.my.salesforce.com' }),
    );
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const result = await twoStepMode.connect?.(
      ctx(
        'salesforce-jwt',
        { token_url: `${base}/services/oauth2/token` },
        { authorizationUrl: 'login.salesforce.com' },
      ),
      {
        clientId: 'ck',
        clientSecret: 'cs',
        username: 'a@b.co',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    );
    expect(result?.connectionConfig).toEqual({ instance_url: 'https://acme.my.salesforce.com' });
  });

  it('a refused sign-in is permanent; a 503 is transient', async () => {
    routes.set('POST /ns-api/v2/tokens', (_req, _body, res) => json(res, 401, { error: 'invalid_grant' }));
    const context = ctx('netsapiens', { token_url: `${base}/ns-api/v2/tokens` });
    await expect(twoStepMode.connect?.(context, {})).rejects.toMatchObject({ permanent: true, status: 401 });
    routes.set('POST /ns-api/v2/tokens', (_req, _body, res) => json(res, 503, {}));
    await expect(twoStepMode.connect?.(context, {})).rejects.toMatchObject({ permanent: false, transient: true });
  });
});
