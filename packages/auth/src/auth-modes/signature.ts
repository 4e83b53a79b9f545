import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ModeCredentials } from '../credentials.js';
import { type AuthModeHandler, invalidInput, type ModeContext, type ModeResult } from './auth-mode.js';

const signatureFields = z.looseObject({
  signature: z.looseObject({ protocol: z.literal('WSSE') }),
  token: z.looseObject({ expires_in_ms: z.number().positive() }).optional(),
});

/**
 * A WS-Security UsernameToken (Emarsys' documented X-WSSE header): nonce, creation time and
 * `base64(hex(sha1(nonce + created + secret)))` as the digest.
 */
export function wsseToken(username: string, secret: string, now = new Date()): string {
  const nonce = randomBytes(16).toString('hex');
  const created = now.toISOString();
  const digest = Buffer.from(
    createHash('sha1')
      .update(nonce + created + secret)
      .digest('hex'),
  ).toString('base64');
  return `UsernameToken Username="${username}", PasswordDigest="${digest}", Nonce="${nonce}", Created="${created}"`;
}

async function create(ctx: ModeContext, entered: Record<string, unknown>): Promise<ModeResult> {
  const parsed = signatureFields.safeParse(ctx.provider);
  if (!parsed.success) throw invalidInput('only WSSE signatures are supported');
  const username = String(entered.username ?? '');
  const password = String(entered.password ?? '');
  const lifetime = parsed.data.token?.expires_in_ms ?? 300_000;
  const credentials: ModeCredentials = {
    type: 'SIGNATURE',
    username,
    password,
    token: wsseToken(username, password),
    expires_at: new Date(Date.now() + lifetime).toISOString(),
  };
  return { credentials };
}

/** SIGNATURE (Emarsys WSSE): a signed UsernameToken made from the entered id and secret, remade before it expires. */
export const signatureMode: AuthModeHandler = {
  mode: 'SIGNATURE',
  connect: create,
  refresh: (ctx, current) => create(ctx, current),
  afterUnauthorized: 'verify',
  refreshMarginSeconds: 60,
  defaultCredentialFields: { username: { title: 'Username' }, password: { title: 'Secret', secret: true } },
  headers(credentials, provider): Record<string, string> {
    // Nango sends `Authorization: Bearer <token>` unless the entry places the token itself (x-wsse).
    const placed = Object.values(provider.proxy?.headers ?? {}).some((value) => value.includes('accessToken'));
    return placed || credentials.token === undefined ? {} : { authorization: `Bearer ${credentials.token}` };
  },
};
