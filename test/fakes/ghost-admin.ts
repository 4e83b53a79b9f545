import { createServer, type Server } from 'node:http';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { listenOnLoopback } from './listen-loopback.js';

/**
 * A fake of Ghost's Admin API token authentication, following the public docs
 * (ghost.org/docs/admin-api/#token-authentication): an Admin API key is `{id}:{secret}` (24 hex,
 * 64 hex); a request carries `Authorization: Ghost <jwt>` where the JWT is HS256, `kid` = the key
 * id, `aud` = `/admin/`, `exp` at most 5 minutes after `iat`, signed with the hex-decoded secret.
 * Anything else, or a deleted key, gets 401 with Ghost's `{ errors: [{ type, message }] }` body.
 * `GET /ghost/api/admin/users/` lists the staff users.
 */
export interface GhostAdminFake {
  url: string;
  /** JWTs accepted so far, in order. */
  accepted: string[];
  /** Reject this exact token once more (stands for a token the site no longer accepts). */
  rejectToken(token: string): void;
  /** Delete the integration's key: every token signed with it is refused. */
  revokeKey(id: string): void;
  close(): Promise<void>;
}

export async function startGhostAdminFake(keys: Record<string, string>): Promise<GhostAdminFake> {
  const revoked = new Set<string>();
  const rejected = new Set<string>();
  const fake: GhostAdminFake = {
    url: '',
    accepted: [],
    rejectToken: (token) => rejected.add(token),
    revokeKey: (id) => revoked.add(id),
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const fail = (message: string) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ type: 'UnauthorizedError', message }] }));
    const token = /^Ghost (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined) return fail('Authorization header format is "Authorization: Ghost [token]"');
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return fail('Invalid token');
    }
    const secret = kid === undefined ? undefined : keys[kid];
    if (kid === undefined || secret === undefined || revoked.has(kid)) return fail('Unknown Admin API Key');
    if (rejected.delete(token)) return fail('Invalid token: jwt expired');
    try {
      const { payload } = await jwtVerify(token, Buffer.from(secret, 'hex'), {
        audience: '/admin/',
        algorithms: ['HS256'],
      });
      if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp - payload.iat > 300)
        return fail('Invalid token: maximum lifetime is 5 minutes');
    } catch (error) {
      return fail(`Invalid token: ${(error as Error).message}`);
    }
    fake.accepted.push(token);
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/$/, '');
    if (req.method === 'GET' && path === '/ghost/api/admin/users')
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ users: [{ id: '1', name: 'Owner', accept_version: req.headers['accept-version'] }] }));
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ errors: [{ type: 'NotFoundError' }] }));
  });
  Object.assign(fake, await listenOnLoopback(server));
  return fake;
}
