import type { ModeCredentials } from '../credentials.js';
import { interpolate } from '../interpolate.js';
import { type AuthModeHandler, invalidInput, type ModeContext, type ModeResult } from './auth-mode.js';
import { callModeEndpoint } from './mode-http.js';

/** Bill ends a session after 35 minutes without a call (developer.bill.com, "Sign in"): renew before. */
const SESSION_MS = 35 * 60_000;

async function login(ctx: ModeContext, entered: Record<string, unknown>): Promise<ModeResult> {
  const template = typeof ctx.provider.token_url === 'string' ? ctx.provider.token_url : undefined;
  const url = template === undefined ? undefined : interpolate(template, { connectionConfig: ctx.connectionConfig });
  if (url === undefined) throw invalidInput('token_url is missing');
  const answer = await callModeEndpoint({
    url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: entered.username,
      password: entered.password,
      organizationId: entered.organization_id,
      devKey: entered.dev_key,
    }),
  });
  const data = (answer.data ?? {}) as Record<string, unknown>;
  if (typeof data.sessionId !== 'string') throw invalidInput('the login answer has no sessionId');
  const credentials: ModeCredentials = {
    type: 'BILL',
    username: entered.username,
    password: entered.password,
    organization_id: typeof data.organizationId === 'string' ? data.organizationId : entered.organization_id,
    dev_key: entered.dev_key,
    session_id: data.sessionId,
    user_id: data.userId,
    expires_at: new Date(Date.now() + SESSION_MS).toISOString(),
  };
  return { credentials };
}

/**
 * BILL (Bill Connect API v3): sign in with username, password, organization id and developer key;
 * every call then carries the `devKey` and `sessionId` headers; the session is renewed by signing
 * in again before it lapses, and a refused sign-in means the end user must reconnect.
 */
export const billMode: AuthModeHandler = {
  mode: 'BILL',
  connect: login,
  refresh: (ctx, current) => login(ctx, current),
  defaultCredentialFields: {
    username: { title: 'Username (email)' },
    password: { title: 'Password', secret: true },
    organization_id: { title: 'Organization ID' },
    dev_key: { title: 'Developer key', secret: true },
  },
  headers: (credentials): Record<string, string> => ({
    devkey: String(credentials.dev_key ?? ''),
    sessionid: String(credentials.session_id ?? ''),
  }),
};
