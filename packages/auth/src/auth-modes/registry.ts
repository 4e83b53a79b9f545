import type { Credentials, ModeCredentials, ModeName } from '../credentials.js';
import type { InputField, ProviderDefinition } from '../provider-schema.js';
import { appMode } from './app.js';
import type { AuthModeHandler, RequestToSign, SigningConnection } from './auth-mode.js';
import { awsSigV4Mode } from './aws-sigv4.js';
import { billMode } from './bill.js';
import { customMode } from './custom.js';
import { jwtMode } from './jwt.js';
import { oauth1Mode } from './oauth1.js';
import { signatureMode } from './signature.js';
import { tbaMode } from './tba.js';
import { twoStepMode } from './two-step.js';

/**
 * Every auth mode implemented beyond OAuth2/CC/API key/basic/none, by name. Adding a mode = one
 * file in this folder + one line here + its name in `supportedAuthModes` (provider-schema.ts).
 */
const handlers: Partial<Record<ModeName, AuthModeHandler>> = {
  TWO_STEP: twoStepMode,
  JWT: jwtMode,
  OAUTH1: oauth1Mode,
  SIGNATURE: signatureMode,
  BILL: billMode,
  TBA: tbaMode,
  AWS_SIGV4: awsSigV4Mode,
  APP: appMode,
  CUSTOM: customMode,
};

export function authModeFor(mode: string): AuthModeHandler | undefined {
  return Object.hasOwn(handlers, mode) ? handlers[mode as ModeName] : undefined;
}

function modeCredentials(credentials: Credentials): ModeCredentials | undefined {
  return authModeFor(credentials.type) === undefined ? undefined : (credentials as ModeCredentials);
}

/** Credentials Weft can renew itself (tokens from an endpoint, self-signed JWTs, sessions). */
export function canRefresh(credentials: Credentials): boolean {
  if (credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC') return true;
  return authModeFor(credentials.type)?.refresh !== undefined;
}

/** Modes whose every request is signed (OAuth 1.0a, TBA, SigV4): the proxy cannot reuse headers across calls. */
export function signsEachRequest(credentials: Credentials): boolean {
  return authModeFor(credentials.type)?.sign !== undefined;
}

/** Headers that authenticate this one request, for signing modes; `{}` for the others. */
export async function signRequest(
  connection: SigningConnection,
  request: RequestToSign,
): Promise<Record<string, string>> {
  const creds = modeCredentials(connection.credentials);
  const handler = creds === undefined ? undefined : authModeFor(creds.type);
  return creds === undefined || handler?.sign === undefined
    ? {}
    : handler.sign({ ...connection, credentials: creds }, request);
}

/** A mode's default headers when the provider declares no `authorization` header of its own. */
export function modeDefaultHeaders(
  credentials: Credentials,
  provider: Parameters<NonNullable<AuthModeHandler['headers']>>[1],
): Record<string, string> | undefined {
  const creds = modeCredentials(credentials);
  if (creds === undefined) return undefined;
  const handler = authModeFor(creds.type);
  if (handler?.headers !== undefined) return handler.headers(creds, provider);
  return typeof creds.token === 'string' ? { authorization: `Bearer ${creds.token}` } : {};
}

/** Modes connected by sending the end user to the provider (OAuth 1.0a, GitHub App installation). */
export function usesRedirect(mode: string): boolean {
  return mode === 'OAUTH2' || authModeFor(mode)?.authorize !== undefined;
}

/** What the connect page asks for: the entry's `credentials`, else the mode's built-in fields. */
export function credentialFieldsFor(provider: ProviderDefinition): Record<string, InputField> {
  if (provider.credentials !== undefined) return provider.credentials;
  const defaults = authModeFor(provider.auth_mode)?.defaultCredentialFields ?? {};
  return Object.fromEntries(
    Object.entries(defaults).map(([name, field]) => [name, { title: field.title, secret: field.secret ?? false }]),
  );
}
