import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './listen-loopback.js';

/**
 * A fake of Tailscale's API as far as OAuth clients go, following the public docs
 * (tailscale.com/kb/1215/oauth-clients, tailscale.com/api): `POST /api/v2/oauth/token` takes a
 * form-encoded `client_id` + `client_secret` (client credentials, no refresh token) and answers
 * `{ access_token, token_type: "Bearer", expires_in, scope }`; an unknown or deleted client gets
 * 401. `GET /api/v2/tailnet/{tailnet}/devices` needs `Authorization: Bearer <access token>`, else
 * 401 `{ message }`. Deleting the OAuth client (`revokeClient`) also invalidates its tokens.
 */
export interface TailscaleFake {
  url: string;
  /** Token requests received (successful or not). */
  tokenRequests: number;
  /** Access tokens issued, oldest first. */
  issued: string[];
  /** Lifetimes (seconds) for the next tokens, consumed in order; then 3600. */
  lifetimes: number[];
  /** Delete the OAuth client: its tokens stop working and no new ones are issued. */
  revokeClient(): void;
  /** Resolves when `count` token requests have arrived in total. */
  tokenRequestsReached(count: number): Promise<void>;
  /** Hold token answers until `release()` (to make concurrent refreshes overlap). */
  hold(): { release(): void };
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTailscaleFake(client: {
  id: string;
  secret: string;
  tailnet: string;
}): Promise<TailscaleFake> {
  let revoked = false;
  const valid = new Set<string>();
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let gate: Promise<void> | undefined;
  const fake: TailscaleFake = {
    url: '',
    tokenRequests: 0,
    issued: [],
    lifetimes: [],
    revokeClient() {
      revoked = true;
      valid.clear();
    },
    tokenRequestsReached(count) {
      if (fake.tokenRequests >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    hold() {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      return { release };
    },
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method === 'POST' && url.pathname === '/api/v2/oauth/token') {
      const form = new URLSearchParams(await readBody(req));
      fake.tokenRequests++;
      for (const waiter of waiters.filter((w) => fake.tokenRequests >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      if (gate) await gate;
      if (req.headers['content-type'] !== 'application/x-www-form-urlencoded')
        return json(400, { message: 'expected a form body' });
      if (revoked || form.get('client_id') !== client.id || form.get('client_secret') !== client.secret)
        return json(401, { message: 'invalid client credentials' });
      const token = `tskey-api-${randomBytes(12).toString('hex')}`;
      valid.add(token);
      fake.issued.push(token);
      return json(200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: fake.lifetimes.shift() ?? 3600,
        scope: 'devices:core:read',
      });
    }
    const devices = /^\/api\/v2\/tailnet\/([^/]+)\/devices$/.exec(url.pathname);
    if (req.method === 'GET' && devices) {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !valid.has(token)) return json(401, { message: 'API token invalid' });
      if (devices[1] !== '-' && devices[1] !== client.tailnet) return json(404, { message: 'tailnet not found' });
      return json(200, { devices: [{ id: 'n1', hostname: 'laptop', token_used: token }] });
    }
    json(404, { message: 'not found' });
  });
  Object.assign(fake, await listenOnLoopback(server));
  return fake;
}
