import { createPrivateKey, createSecretKey, type KeyObject, randomUUID } from 'node:crypto';
import { type JWTHeaderParameters, SignJWT } from 'jose';
import type { TemplateValues } from '../interpolate.js';
import { invalidInput } from './auth-mode.js';
import { interpolateDeep } from './mode-http.js';

/**
 * A PEM typed into a form often arrives with literal `\n` or on one line: restore the line breaks
 * so Node can read PKCS#8, PKCS#1 (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) keys alike.
 */
export function privateKeyFrom(pem: string): KeyObject {
  let text = pem.trim().replace(/\\n/g, '\n');
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (match !== null) {
    const body = (match[2] as string).replace(/\s+/g, '');
    text = `-----BEGIN ${match[1]}-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${match[1]}-----\n`;
  }
  try {
    return createPrivateKey(text);
  } catch (error) {
    throw invalidInput(`the private key cannot be read (${(error as Error).message})`);
  }
}

/** A JWT declared as data (Nango's `token:` / `assertion:` blocks): header and claims templated, `iat`/`exp` set. */
export async function signDeclaredJwt(options: {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** Templated signing key: a PEM, or for HMAC the secret. */
  key: string;
  hmacEncoding?: 'hex' | 'utf8';
  lifetimeSeconds: number;
  values: TemplateValues;
}): Promise<string> {
  const values = { ...options.values, random: randomUUID() };
  const header = interpolateDeep(options.header, values) as Record<string, unknown>;
  const payload = interpolateDeep(options.payload, values) as Record<string, unknown>;
  const alg = typeof header.alg === 'string' ? header.alg : 'RS256';
  const key = alg.startsWith('HS')
    ? createSecretKey(Buffer.from(options.key, options.hmacEncoding === 'utf8' ? 'utf8' : 'hex'))
    : privateKeyFrom(options.key);
  const now = Math.floor(Date.now() / 1000);
  try {
    return await new SignJWT({ ...payload, iat: now, exp: now + Math.round(options.lifetimeSeconds) })
      .setProtectedHeader({ ...header, alg } as JWTHeaderParameters)
      .sign(key);
  } catch (error) {
    throw invalidInput(`the JWT cannot be signed with this key (${(error as Error).message})`);
  }
}
