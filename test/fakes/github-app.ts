import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/**
 * A fake of GitHub's App installation flow and installation tokens, following the public docs
 * (docs.github.com: "Generating a JSON Web Token (JWT) for a GitHub App", "Generating an
 * installation access token", "About the setup URL"): `GET /apps/<slug>/installations/new?state`
 * installs the app at once and redirects to the app's Setup URL with `installation_id`,
 * `setup_action=install` and the state; `POST /app/installations/{id}/access_tokens` needs an RS256
 * JWT with `iss` = the App ID and a lifetime of at most 10 minutes, and answers 201
 * `{ token, expires_at }`; `GET /installation/repositories` needs a live installation token.
 * Uninstalling makes the token endpoint answer 404 and the tokens 401.
 */
export interface GitHubAppFake {
  url: string;
  appId: string;
  slug: string;
  privateKeyPem: string;
  /** Installation tokens issued, in order. */
  issued: string[];
  /** Lifetime (seconds) of the next installation token. */
  nextLifetimeSeconds: number;
  uninstall(): void;
  close(): Promise<void>;
}

export async function startGitHubAppFake(options: { setupUrl: () => string }): Promise<GitHubAppFake> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const installationId = String(40_000_000 + Math.floor(Math.random() * 1_000_000));
  const live = new Set<string>();
  let installed = false;
  const fake: GitHubAppFake = {
    url: '',
    appId: String(100_000 + Math.floor(Math.random() * 100_000)),
    slug: 'weft-test-app',
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    issued: [],
    nextLifetimeSeconds: 3600,
    uninstall: () => {
      installed = false;
      live.clear();
    },
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', fake.url);
    if (req.method === 'GET' && url.pathname === `/apps/${fake.slug}/installations/new`) {
      installed = true;
      const back = new URL(options.setupUrl());
      back.searchParams.set('installation_id', installationId);
      back.searchParams.set('setup_action', 'install');
      if (url.searchParams.has('state')) back.searchParams.set('state', url.searchParams.get('state') ?? '');
      return res.writeHead(302, { location: back.toString() }).end();
    }
    const bearer = /^(?:Bearer|token) (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const tokenPath = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    if (req.method === 'POST' && tokenPath) {
      try {
        const { payload } = await jwtVerify(bearer, publicKey, { algorithms: ['RS256'], issuer: fake.appId });
        if ((payload.exp ?? 0) - (payload.iat ?? 0) > 600)
          return json(401, { message: "'Expiration time' claim ('exp') is too far in the future" });
      } catch (error) {
        return json(401, { message: `A JSON web token could not be decoded (${(error as Error).message})` });
      }
      if (!installed || tokenPath[1] !== installationId) return json(404, { message: 'Not Found' });
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      live.add(token);
      fake.issued.push(token);
      const expiresAt = new Date(Date.now() + fake.nextLifetimeSeconds * 1000).toISOString();
      fake.nextLifetimeSeconds = 3600;
      return json(201, {
        token,
        expires_at: expiresAt,
        permissions: { contents: 'read' },
        repository_selection: 'all',
      });
    }
    if (req.method === 'GET' && url.pathname === '/installation/repositories') {
      if (!live.has(bearer)) return json(401, { message: 'Bad credentials' });
      return json(200, { total_count: 1, repositories: [{ id: 1, full_name: 'acme/app' }], token_used: bearer });
    }
    json(404, { message: 'Not Found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return fake;
}
