import { randomUUID } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';

/**
 * An RFC 7523 client assertion (`private_key_jwt`, OpenID Connect Core §9): a JWT the client signs
 * with its private key instead of sending a secret — Okta's API Services apps (Nango's okta-cc).
 * As Nango does: iss = sub = client id, aud = the token URL, 5 minutes, a fresh jti, RS256 with the
 * JWK's kid. The private key is the integration's client secret, as a JWK JSON string.
 */
export async function signClientAssertion(clientId: string, privateJwk: string, tokenUrl: string): Promise<string> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(privateJwk) as JWK;
  } catch {
    throw new Error('the client secret must be the private key as a JWK (JSON) for private_key_jwt');
  }
  const alg = typeof jwk.alg === 'string' ? jwk.alg : 'RS256';
  const key = await importJWK(jwk, alg);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, ...(typeof jwk.kid === 'string' ? { kid: jwk.kid } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(key);
}
