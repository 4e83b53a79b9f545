import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { jwtVerify } from 'jose';
import { listenOnLoopback } from './listen-loopback.js';

/**
 * A fake of GitHub's App installation flow and installation tokens, following the public docs
 * (docs.github.com: "Generating a JSON Web Token (JWT) for a GitHub App", "Generating an
 * installation access token", "About the setup URL"): `GET /apps/<slug>/installations/new?state`
 * installs the app at once and redirects to the app's Setup URL with `installation_id`,
 * `setup_action=install` and the state; `POST /app/installations/{id}/access_tokens` needs an RS256
 * JWT with `iss` = the App ID and a lifetime of at most 10 minutes, and answers 201
 * `{ token, expires_at }`; `GET /installation/repositories` needs a live installation token.
 * Uninstalling makes the token endpoint answer 404 and the tokens 401.
 *
 * With `oauth` (an app that requests user authorization during installation, github-app-oauth),
 * the redirect also carries an OAuth `code`; `POST /login/oauth/access_token` (form, client id +
 * secret) trades it, or a refresh token, for an expiring user token (`ghu_…`, `ghr_…`) and, as
 * GitHub does, answers HTTP 200 `{ error: 'bad_verification_code' | 'bad_refresh_token' }` on
 * refusal; `GET /user` needs a live user token.
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
  /** User tokens issued (access tokens), in order (oauth only). */
  userIssued: string[];
  /** Lifetime (seconds) of the next user token (GitHub's default: 8 hours). */
  nextUserLifetimeSeconds: number;
  /** Form bodies the OAuth token endpoint received. */
  tokenRequests: URLSearchParams[];
  /** The end user revokes the app's authorization: user and refresh tokens stop working. */
  revokeUser(): void;
  close(): Promise<void>;
}

export async function startGitHubAppFake(options: {
  setupUrl: () => string;
  oauth?: { clientId: string; clientSecret: string };
}): Promise<GitHubAppFake> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const installationId = String(40_000_000 + Math.floor(Math.random() * 1_000_000));
  const live = new Set<string>();
  const liveUsers = new Set<string>();
  const refreshTokens = new Set<string>();
  const codes = new Set<string>();
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
    userIssued: [],
    nextUserLifetimeSeconds: 28_800,
    tokenRequests: [],
    revokeUser: () => {
      liveUsers.clear();
      refreshTokens.clear();
    },
    close: async () => {},
  };
  const issueUserToken = () => {
    const token = `ghu_${randomBytes(18).toString('hex')}`;
    const refresh = `ghr_${randomBytes(18).toString('hex')}`;
    liveUsers.add(token);
    refreshTokens.add(refresh);
    fake.userIssued.push(token);
    const expiresIn = fake.nextUserLifetimeSeconds;
    fake.nextUserLifetimeSeconds = 28_800;
    return {
      access_token: token,
      expires_in: expiresIn,
      refresh_token: refresh,
      refresh_token_expires_in: 15_811_200,
      scope: '',
      token_type: 'bearer',
    };
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
      if (options.oauth) {
        const code = randomBytes(10).toString('hex');
        codes.add(code);
        back.searchParams.set('code', code);
      }
      return res.writeHead(302, { location: back.toString() }).end();
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token' && options.oauth) {
      let text = '';
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      fake.tokenRequests.push(form);
      if (form.get('client_id') !== options.oauth.clientId || form.get('client_secret') !== options.oauth.clientSecret)
        return json(200, {
          error: 'incorrect_client_credentials',
          error_description: 'The client_id and/or client_secret passed are incorrect.',
        });
      if (form.get('grant_type') === 'refresh_token') {
        const refresh = form.get('refresh_token') ?? '';
        if (!refreshTokens.delete(refresh))
          return json(200, {
            error: 'bad_refresh_token',
            error_description: 'The refresh token passed is incorrect or expired.',
          });
        return json(200, issueUserToken());
      }
      const code = form.get('code') ?? '';
      if (!codes.delete(code))
        return json(200, {
          error: 'bad_verification_code',
          error_description: 'The code passed is incorrect or expired.',
        });
      return json(200, issueUserToken());
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
    if (req.method === 'GET' && url.pathname === '/user') {
      if (!liveUsers.has(bearer)) return json(401, { message: 'Bad credentials' });
      return json(200, { login: 'octocat', id: 1, token_used: bearer });
    }
    json(404, { message: 'Not Found' });
  });
  Object.assign(fake, await listenOnLoopback(server));
  return fake;
}
