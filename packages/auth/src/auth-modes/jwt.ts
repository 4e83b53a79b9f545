import { z } from 'zod';
import type { ModeCredentials } from '../credentials.js';
import { interpolate } from '../interpolate.js';
import { type AuthModeHandler, invalidInput, type ModeContext, type ModeResult } from './auth-mode.js';
import { signDeclaredJwt } from './jwt-sign.js';

/** The JWT fields of a providers.yaml entry (Nango's `ProviderJwt`). */
const jwtFields = z.looseObject({
  signature: z.looseObject({
    protocol: z.enum(['HMAC', 'RSA', 'EC']),
    hmac_secret_encoding: z.enum(['hex', 'utf8']).optional(),
  }),
  token: z.looseObject({
    signing_key: z.string(),
    expires_in_ms: z.number().positive(),
    header: z.record(z.string(), z.unknown()).default({}),
    payload: z.record(z.string(), z.unknown()).default({}),
  }),
});

const RESERVED = new Set(['type', 'token', 'expires_at']);

/**
 * Ghost's Admin API key is one string `id:secret` while the entry signs with
 * `${credentials.privateKey.secret}` and names `${credentials.privateKey.id}` as `kid`: split it
 * when the entry reads those parts (Nango does the same for ghost-admin by name).
 */
function shaped(entered: Record<string, unknown>, templates: string): Record<string, unknown> {
  const out = { ...entered };
  for (const [name, value] of Object.entries(entered)) {
    if (typeof value !== 'string' || !value.includes(':')) continue;
    if (!new RegExp(`\\$\\{credentials\\.${name}\\.(id|secret)\\}`).test(templates)) continue;
    const [id, ...rest] = value.split(':');
    out[name] = { id, secret: rest.join(':') };
  }
  return out;
}

/**
 * Sign a JWT with the key the end user entered, as the entry declares (header, claims, lifetime).
 * No provider call: "refresh" signs a new one before the old expires.
 */
async function sign(ctx: ModeContext, entered: Record<string, unknown>): Promise<ModeResult> {
  const parsed = jwtFields.safeParse(ctx.provider);
  if (!parsed.success) throw invalidInput(`the provider's JWT fields are malformed: ${parsed.error.message}`);
  const { signature, token } = parsed.data;
  const credentials = shaped(entered, JSON.stringify(token));
  const values = { ...credentials, credentials, connectionConfig: ctx.connectionConfig };
  const key = interpolate(token.signing_key, values);
  if (key === undefined) throw invalidInput('the signing key field is empty');
  const jwt = await signDeclaredJwt({
    header: token.header,
    payload: token.payload,
    key,
    ...(signature.hmac_secret_encoding ? { hmacEncoding: signature.hmac_secret_encoding } : {}),
    lifetimeSeconds: token.expires_in_ms / 1000,
    values,
  });
  const stored: ModeCredentials = {
    ...Object.fromEntries(Object.entries(entered).filter(([k]) => !RESERVED.has(k))),
    type: 'JWT',
    token: jwt,
    expires_at: new Date(Date.now() + token.expires_in_ms).toISOString(),
  };
  return { credentials: stored };
}

export const jwtMode: AuthModeHandler = {
  mode: 'JWT',
  connect: sign,
  refresh: (ctx, current) => sign(ctx, Object.fromEntries(Object.entries(current).filter(([k]) => !RESERVED.has(k)))),
  afterUnauthorized: 'verify',
  refreshMarginSeconds: 60,
};
