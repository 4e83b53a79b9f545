import type { ModeCredentials } from '../credentials.js';
import { interpolate } from '../interpolate.js';
import { appLink, installationToken } from './app.js';
import { type AuthModeHandler, invalidInput, ModeAuthError, type ModeContext, type ModeResult } from './auth-mode.js';
import { callModeEndpoint } from './mode-http.js';

/** The GitHub user-to-server token (docs.github.com "Generating a user access token for a GitHub App"). */
export interface GitHubUserToken {
  access_token: string;
  refresh_token?: string;
  /** ISO; absent when the app does not opt in to expiring user tokens. */
  expires_at?: string;
  raw: Record<string, unknown>;
}

/** Renew the user token this long before it expires (GitHub's last 8 hours). */
const USER_REFRESH_MARGIN_MS = 10 * 60_000;

/** The GitHub App itself (app id + private key), kept as the integration's custom credentials. */
function appOf(ctx: ModeContext): { appId: string; privateKey: string } {
  const custom = ctx.integration.custom;
  if (!custom?.app_id || !custom.private_key)
    throw invalidInput('the integration needs the GitHub App id (app_id) and private key (private_key)');
  return { appId: custom.app_id, privateKey: custom.private_key };
}

/** The app's OAuth client (client_id/client_secret, "Client ID" and a client secret of the GitHub App). */
function clientOf(ctx: ModeContext): { id: string; secret: string } {
  const { clientId, clientSecret } = ctx.integration;
  if (!clientId || !clientSecret)
    throw invalidInput("the integration needs the GitHub App's OAuth client_id and client_secret");
  return { id: clientId, secret: clientSecret };
}

/** `token_url.OAUTH2` of the entry (github-app-oauth declares both OAUTH2 and APP URLs). */
function userTokenUrl(ctx: ModeContext): string {
  const tokenUrl = ctx.provider.token_url;
  const template = typeof tokenUrl === 'string' ? tokenUrl : tokenUrl?.OAUTH2;
  const url = template === undefined ? undefined : interpolate(template, { connectionConfig: ctx.connectionConfig });
  if (url === undefined) throw invalidInput('token_url.OAUTH2 (user access tokens) is missing');
  return url;
}

/**
 * GitHub's OAuth token endpoint. It answers HTTP 200 with `{ error }` for a bad code or refresh
 * token (`bad_verification_code`, `bad_refresh_token`): those are permanent refusals.
 */
async function userTokenRequest(ctx: ModeContext, params: Record<string, string>): Promise<GitHubUserToken> {
  const client = clientOf(ctx);
  const answer = await callModeEndpoint({
    url: userTokenUrl(ctx),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: client.id, client_secret: client.secret, ...params }).toString(),
  });
  const data = (typeof answer.data === 'object' && answer.data !== null ? answer.data : {}) as Record<string, unknown>;
  if (typeof data.error === 'string')
    throw new ModeAuthError(
      400,
      data.error,
      typeof data.error_description === 'string' ? data.error_description : '',
      null,
    );
  if (typeof data.access_token !== 'string') throw invalidInput('GitHub answered without a user access token');
  const expiresIn = Number(data.expires_in);
  return {
    access_token: data.access_token,
    ...(typeof data.refresh_token === 'string' ? { refresh_token: data.refresh_token } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0
      ? { expires_at: new Date(Date.now() + expiresIn * 1000).toISOString() }
      : {}),
    raw: data,
  };
}

/** The connection's credentials: the installation token is what the proxy sends (as in Nango). */
async function combined(ctx: ModeContext, installationId: string, user: GitHubUserToken | null): Promise<ModeResult> {
  const app = await installationToken(ctx, installationId, appOf(ctx));
  const appExpiry = typeof app.credentials.expires_at === 'string' ? app.credentials.expires_at : undefined;
  // Renew when the first of the two lapses; a user token without a refresh token cannot be renewed.
  const userExpiry = user?.refresh_token !== undefined ? user.expires_at : undefined;
  const expiresAt = [appExpiry, userExpiry].filter((v): v is string => v !== undefined).sort()[0];
  const credentials: ModeCredentials = {
    type: 'CUSTOM',
    token: app.credentials.token as string,
    access_token: app.credentials.token as string,
    installation_id: installationId,
    ...(expiresAt ? { expires_at: expiresAt } : {}),
    app: { access_token: app.credentials.token, expires_at: appExpiry, installation_id: installationId },
    user,
    raw: app.credentials.raw,
  };
  return { credentials, connectionConfig: { ...app.connectionConfig, appPublicLink: appLink(ctx) } };
}

function userOf(current: ModeCredentials): GitHubUserToken | null {
  const user = current.user as GitHubUserToken | null | undefined;
  return user && typeof user.access_token === 'string' ? user : null;
}

/**
 * CUSTOM (github-app-oauth): a GitHub App with "Request user authorization (OAuth) during
 * installation". The end user installs the app; GitHub sends them back to the callback URL
 * (`<WEFT_PUBLIC_URL>/oauth/callback`) with an OAuth `code` *and* the `installation_id`. Weft
 * exchanges the code with the app's OAuth client for the user's token and signs an app JWT with the
 * app's private key for installation tokens. The connection holds both; the proxy sends the
 * installation token (Nango does the same), the user token is in the connection's credentials.
 */
export const customMode: AuthModeHandler = {
  mode: 'CUSTOM',
  async authorize(ctx, flow) {
    appOf(ctx);
    clientOf(ctx);
    const url = new URL(`${appLink(ctx)}/installations/new`);
    url.searchParams.set('state', flow.state);
    return { url: url.toString() };
  },
  async callback(ctx, flow): Promise<ModeResult> {
    const installationId = flow.query.installation_id ?? String(ctx.connectionConfig.installation_id ?? '');
    if (!/^\d+$/.test(installationId))
      throw invalidInput(
        'GitHub sent no installation_id: the app is not installed yet (an organisation owner must approve the request), connect again once it is',
      );
    // No code: the app was already installed and GitHub only reports an update (setup_action=update).
    const code = flow.query.code;
    const user =
      code === undefined
        ? null
        : await userTokenRequest(ctx, { code, redirect_uri: flow.redirectUri, grant_type: 'authorization_code' });
    return combined(ctx, installationId, user);
  },
  async refresh(ctx, current) {
    const installationId = String(current.installation_id ?? ctx.connectionConfig.installation_id);
    let user = userOf(current);
    if (
      user?.refresh_token !== undefined &&
      user.expires_at !== undefined &&
      Date.parse(user.expires_at) - Date.now() < USER_REFRESH_MARGIN_MS
    ) {
      // A refused refresh token means the end user revoked the app's authorization: needs_reauth.
      user = await userTokenRequest(ctx, { grant_type: 'refresh_token', refresh_token: user.refresh_token });
    }
    return combined(ctx, installationId, user);
  },
};
