import { SignJWT } from 'jose';
import type { ModeCredentials } from '../credentials.js';
import { interpolate } from '../interpolate.js';
import { type AuthModeHandler, invalidInput, type ModeContext, type ModeResult } from './auth-mode.js';
import { privateKeyFrom } from './jwt-sign.js';
import { callModeEndpoint } from './mode-http.js';

/**
 * The app's own JWT (docs.github.com, "Generating a JSON Web Token for a GitHub App"): RS256,
 * `iss` = the App ID, issued 60 s in the past against clock drift, valid 10 minutes at most.
 */
export async function githubAppJwt(appId: string, privateKeyPem: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: appId })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 540)
    .sign(privateKeyFrom(privateKeyPem));
}

function appOf(ctx: ModeContext): { appId: string; privateKey: string } {
  const { clientId, clientSecret } = ctx.integration;
  if (!clientId || !clientSecret)
    throw invalidInput('the integration needs the App ID (client_id) and the app private key (client_secret)');
  return { appId: clientId, privateKey: clientSecret };
}

/**
 * Where the app's public page is: the entry's `app_link` (integration override), the integration's
 * custom `app_link` (CUSTOM, as Nango stores it) or connection_config.appPublicLink.
 */
export function appLink(ctx: ModeContext): string {
  const link = (ctx.provider as { app_link?: unknown }).app_link ?? ctx.integration.custom?.app_link;
  const value = typeof link === 'string' ? link : ctx.connectionConfig.appPublicLink;
  if (typeof value !== 'string' || !/^https?:\/\//.test(value))
    throw invalidInput(
      'the app public link is missing (integration override app_link, e.g. https://github.com/apps/<slug>)',
    );
  return value.replace(/\/$/, '');
}

/**
 * An installation access token (POST /app/installations/{id}/access_tokens, authenticated with the
 * app JWT): one hour, renewed before it expires. 404/401/403 there mean the app was uninstalled or
 * suspended: the connection needs the end user again.
 */
export async function installationToken(
  ctx: ModeContext,
  installationId: string,
  app: { appId: string; privateKey: string } = appOf(ctx),
): Promise<{ credentials: ModeCredentials; connectionConfig: Record<string, unknown> }> {
  const { appId, privateKey } = app;
  const template =
    typeof ctx.provider.token_url === 'string' ? ctx.provider.token_url : (ctx.provider.token_url?.APP ?? undefined);
  const connectionConfig = { ...ctx.connectionConfig, installation_id: installationId };
  const url = template === undefined ? undefined : interpolate(template, { connectionConfig });
  if (url === undefined) throw invalidInput('token_url (installation access tokens) is missing');
  const answer = await callModeEndpoint({
    url,
    headers: {
      authorization: `Bearer ${await githubAppJwt(appId, privateKey)}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    },
  });
  const data = (answer.data ?? {}) as Record<string, unknown>;
  if (typeof data.token !== 'string') throw invalidInput('GitHub answered without an installation token');
  const expiresAt =
    typeof data.expires_at === 'string' ? new Date(Date.parse(data.expires_at)).toISOString() : undefined;
  return {
    credentials: {
      type: 'APP',
      access_token: data.token,
      token: data.token,
      installation_id: installationId,
      ...(expiresAt ? { expires_at: expiresAt } : {}),
      raw: data,
    },
    connectionConfig: { installation_id: installationId },
  };
}

/**
 * APP (GitHub App): the end user installs the app on their account or organisation; GitHub sends
 * them back to the app's Setup URL (`<WEFT_PUBLIC_URL>/oauth/callback`) with `installation_id`;
 * Weft then holds installation access tokens, signed for with the app's private key.
 */
export const appMode: AuthModeHandler = {
  mode: 'APP',
  async authorize(ctx, flow) {
    appOf(ctx);
    const url = new URL(`${appLink(ctx)}/installations/new`);
    url.searchParams.set('state', flow.state);
    return { url: url.toString() };
  },
  async callback(ctx, flow): Promise<ModeResult> {
    const installationId = flow.query.installation_id;
    if (!installationId || !/^\d+$/.test(installationId))
      throw invalidInput('GitHub sent no installation_id (the app was not installed)');
    const result = await installationToken(ctx, installationId);
    return { ...result, connectionConfig: { ...result.connectionConfig, appPublicLink: appLink(ctx) } };
  },
  refresh: (ctx, current) =>
    installationToken(ctx, String(current.installation_id ?? ctx.connectionConfig.installation_id)),
};
