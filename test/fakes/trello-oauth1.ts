import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './listen-loopback.js';

/**
 * A fake of Trello's OAuth 1.0a endpoints and a corner of its REST API, following the public
 * docs (developer.atlassian.com/cloud/trello/guides/rest-api/authorization/#using-basic-oauth and
 * RFC 5849): `POST /1/OAuthGetRequestToken` (signed with the consumer, `oauth_callback`),
 * `GET /1/OAuthAuthorizeToken?oauth_token=…&name&scope&expiration` (the user approves at once and
 * is sent to the callback with `oauth_token` + `oauth_verifier`), `POST /1/OAuthGetAccessToken`
 * (signed with the request token and its secret, `oauth_verifier`), then `GET /1/members/me` and
 * `POST /1/cards` (form body) signed with the access token. Signatures are checked here with an
 * independent RFC 5849 §3.4 implementation (HMAC-SHA1 over method, base URL and every query, form
 * and oauth parameter); nonces are single use. A revoked token gets 401 `invalid token`.
 */
export interface TrelloFake {
  url: string;
  consumer: { key: string; secret: string };
  /** Access tokens issued. */
  issued: string[];
  /** Signed API calls accepted: method, path and the form body parameters seen. */
  calls: Array<{ method: string; path: string; form: Record<string, string> }>;
  /** Authorize-page query of the last authorization (to check scope/expiration were sent). */
  lastAuthorize: Record<string, string> | undefined;
  revoke(accessToken: string): void;
  close(): Promise<void>;
}

const enc = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function parseAuthorization(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined || !header.startsWith('OAuth ')) return undefined;
  const out: Record<string, string> = {};
  for (const match of header.slice(6).matchAll(/([\w-]+)="([^"]*)"/g))
    out[match[1] as string] = decodeURIComponent(match[2] as string);
  return out;
}

/** RFC 5849 §3.4.1 signature base string and §3.4.2 HMAC-SHA1 (HMAC-SHA256 for NetSuite TBA). */
export function expectedSignature(
  method: string,
  url: URL,
  params: Array<[string, string]>,
  consumerSecret: string,
  tokenSecret: string,
  algorithm: 'sha1' | 'sha256' = 'sha1',
): string {
  const normalized = params
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = [method.toUpperCase(), enc(`${url.protocol}//${url.host}${url.pathname}`), enc(normalized)].join('&');
  return createHmac(algorithm, `${enc(consumerSecret)}&${enc(tokenSecret)}`)
    .update(base)
    .digest('base64');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTrelloFake(): Promise<TrelloFake> {
  const consumer = { key: randomBytes(16).toString('hex'), secret: randomBytes(32).toString('hex') };
  const requestTokens = new Map<string, { secret: string; callback: string; verifier?: string }>();
  const accessTokens = new Map<string, string>();
  const nonces = new Set<string>();
  const fake: TrelloFake = {
    url: '',
    consumer,
    issued: [],
    calls: [],
    lastAuthorize: undefined,
    revoke: (token) => accessTokens.delete(token),
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const text = (status: number, body: string, type = 'text/plain') =>
      res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method === 'GET' && url.pathname === '/1/OAuthAuthorizeToken') {
      const token = url.searchParams.get('oauth_token') ?? '';
      const pending = requestTokens.get(token);
      if (pending === undefined) return text(400, 'invalid request token');
      fake.lastAuthorize = Object.fromEntries(url.searchParams);
      pending.verifier = randomBytes(16).toString('hex');
      const back = new URL(pending.callback);
      back.searchParams.set('oauth_token', token);
      back.searchParams.set('oauth_verifier', pending.verifier);
      return res.writeHead(302, { location: back.toString() }).end();
    }
    const body = await readBody(req);
    const oauth = parseAuthorization(req.headers.authorization);
    if (
      oauth === undefined ||
      oauth.oauth_consumer_key !== consumer.key ||
      oauth.oauth_signature_method !== 'HMAC-SHA1'
    )
      return text(401, 'missing or invalid OAuth header');
    if (nonces.has(oauth.oauth_nonce ?? '')) return text(401, 'nonce already used');
    nonces.add(oauth.oauth_nonce ?? '');
    const form =
      (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') && body !== ''
        ? Object.fromEntries(new URLSearchParams(body))
        : {};
    const params: Array<[string, string]> = [
      ...Object.entries(oauth).filter(([k]) => k !== 'oauth_signature' && k !== 'realm'),
      ...url.searchParams.entries(),
      ...Object.entries(form),
    ];
    const tokenSecret =
      oauth.oauth_token === undefined
        ? ''
        : (requestTokens.get(oauth.oauth_token)?.secret ?? accessTokens.get(oauth.oauth_token) ?? undefined);
    if (tokenSecret === undefined) return text(401, 'invalid token');
    const expected = Buffer.from(expectedSignature(req.method ?? 'GET', url, params, consumer.secret, tokenSecret));
    const given = Buffer.from(oauth.oauth_signature ?? '');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return text(401, 'invalid signature');

    if (req.method === 'POST' && url.pathname === '/1/OAuthGetRequestToken') {
      if (!oauth.oauth_callback) return text(400, 'oauth_callback required');
      const token = randomBytes(16).toString('hex');
      const secret = randomBytes(16).toString('hex');
      requestTokens.set(token, { secret, callback: oauth.oauth_callback });
      return text(
        200,
        new URLSearchParams({
          oauth_token: token,
          oauth_token_secret: secret,
          oauth_callback_confirmed: 'true',
        }).toString(),
      );
    }
    if (req.method === 'POST' && url.pathname === '/1/OAuthGetAccessToken') {
      const pending = requestTokens.get(oauth.oauth_token ?? '');
      if (pending?.verifier === undefined || pending.verifier !== oauth.oauth_verifier)
        return text(401, 'invalid verifier');
      requestTokens.delete(oauth.oauth_token ?? '');
      const token = randomBytes(32).toString('hex');
      const secret = randomBytes(32).toString('hex');
      accessTokens.set(token, secret);
      fake.issued.push(token);
      return text(200, new URLSearchParams({ oauth_token: token, oauth_token_secret: secret }).toString());
    }
    if (!accessTokens.has(oauth.oauth_token ?? '')) return text(401, 'invalid token');
    fake.calls.push({ method: req.method ?? 'GET', path: url.pathname, form });
    if (req.method === 'GET' && url.pathname === '/1/members/me')
      return text(
        200,
        JSON.stringify({ id: 'm1', username: 'weft', fields: url.searchParams.get('fields') }),
        'application/json',
      );
    if (req.method === 'POST' && url.pathname === '/1/cards')
      return text(200, JSON.stringify({ id: 'c1', name: form.name, idList: form.idList }), 'application/json');
    text(404, 'not found');
  });
  Object.assign(fake, await listenOnLoopback(server));
  return fake;
}
