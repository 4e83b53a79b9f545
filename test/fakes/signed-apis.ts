import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen-loopback.js';
import { expectedSignature, parseAuthorization } from './trello-oauth1.js';

/** A loopback server around one handler; closes with its connections. */
async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    handler(req, res, Buffer.concat(chunks).toString('utf8'));
  });
  return listenOnLoopback(server);
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/**
 * Emarsys Core API WSSE authentication (dev.emarsys.com, "Authentication"): `X-WSSE: UsernameToken
 * Username, PasswordDigest, Nonce, Created`, digest = base64(hex(sha1(nonce + created + secret))),
 * Created within 5 minutes. `GET /api/v2/settings` answers `{ replyCode: 0, data }`; else 401.
 */
export async function startEmarsysFake(user: { username: string; secret: string }) {
  let revoked = false;
  const accepted: string[] = [];
  const server = await serve((req, res) => {
    const header = String(req.headers['x-wsse'] ?? '');
    const field = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(header)?.[1] ?? '';
    const created = Date.parse(field('Created'));
    const digest = Buffer.from(
      createHash('sha1')
        .update(field('Nonce') + field('Created') + user.secret)
        .digest('hex'),
    ).toString('base64');
    const ok =
      !revoked &&
      field('Username') === user.username &&
      field('PasswordDigest') === digest &&
      Number.isFinite(created) &&
      Math.abs(Date.now() - created) < 300_000;
    if (!ok) return json(res, 401, { replyCode: 1, replyText: 'Unauthorized', data: '' });
    accepted.push(header);
    if (req.url === '/api/v2/settings') return json(res, 200, { replyCode: 0, data: { id: 1, environment: 'fake' } });
    json(res, 404, { replyCode: 1, replyText: 'not found' });
  });
  return { ...server, accepted, revoke: () => (revoked = true) };
}

/**
 * Bill Connect API v3 (developer.bill.com, "Sign in to the API"): `POST /connect/v3/login` with
 * JSON `{ username, password, organizationId, devKey }` → `{ sessionId, organizationId, userId }`
 * (401 for wrong credentials); API calls need the `devKey` and `sessionId` headers; a session
 * that ended answers 401 `BDC_1109`.
 */
export async function startBillFake(account: {
  username: string;
  password: string;
  organizationId: string;
  devKey: string;
}) {
  const sessions = new Set<string>();
  const state = { logins: 0, revoked: false, sessions };
  const server = await serve((req, res, body) => {
    if (req.method === 'POST' && req.url === '/connect/v3/login') {
      state.logins++;
      const input = JSON.parse(body || '{}') as Record<string, string>;
      const ok =
        !state.revoked &&
        input.username === account.username &&
        input.password === account.password &&
        input.organizationId === account.organizationId &&
        input.devKey === account.devKey;
      if (!ok) return json(res, 401, [{ code: 'BDC_1102', message: 'Invalid username, password, or organization' }]);
      const sessionId = randomBytes(16).toString('hex');
      sessions.add(sessionId);
      return json(res, 200, { sessionId, organizationId: account.organizationId, userId: 'u-1' });
    }
    if (req.headers.devkey !== account.devKey || !sessions.has(String(req.headers.sessionid ?? '')))
      return json(res, 401, [{ code: 'BDC_1109', message: 'Session is invalid. Please log in.' }]);
    if (req.method === 'GET' && req.url?.startsWith('/connect/v3/vendors'))
      return json(res, 200, { results: [{ id: 'v1', name: 'Vendor' }], session: req.headers.sessionid });
    json(res, 404, []);
  });
  return { ...server, state, endSessions: () => sessions.clear() };
}

/**
 * NetSuite token-based authentication (docs.oracle.com, "The Authorization Headers"): OAuth 1.0a
 * with `oauth_signature_method="HMAC-SHA256"`, `realm` = the account id, consumer key/secret of the
 * integration record and the token id/secret of the access token; checked with an independent
 * RFC 5849 implementation. A revoked token gets 401 `INVALID_LOGIN_ATTEMPT`.
 */
export async function startNetSuiteFake(options: {
  realm: string;
  consumer: { key: string; secret: string };
  token: { id: string; secret: string };
}) {
  let revoked = false;
  const nonces = new Set<string>();
  const calls: string[] = [];
  const server = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const oauth = parseAuthorization(req.headers.authorization);
    const fail = () => json(res, 401, { 'o:errorDetails': [{ 'o:errorCode': 'INVALID_LOGIN_ATTEMPT' }] });
    if (
      revoked ||
      oauth === undefined ||
      oauth.realm !== options.realm ||
      oauth.oauth_signature_method !== 'HMAC-SHA256' ||
      oauth.oauth_consumer_key !== options.consumer.key ||
      oauth.oauth_token !== options.token.id ||
      nonces.has(oauth.oauth_nonce ?? '')
    )
      return fail();
    nonces.add(oauth.oauth_nonce ?? '');
    const signed = new URL(`http://${req.headers.host}${url.pathname}${url.search}`);
    const params: Array<[string, string]> = [
      ...Object.entries(oauth).filter(([k]) => k !== 'oauth_signature' && k !== 'realm'),
      ...signed.searchParams.entries(),
    ];
    const expected = Buffer.from(
      expectedSignature(req.method ?? 'GET', signed, params, options.consumer.secret, options.token.secret, 'sha256'),
    );
    const given = Buffer.from(oauth.oauth_signature ?? '');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return fail();
    calls.push(`${req.method} ${url.pathname}${url.search}`);
    json(res, 200, { items: [{ id: '1', companyName: 'Acme' }] });
  });
  return { ...server, calls, revoke: () => (revoked = true) };
}
