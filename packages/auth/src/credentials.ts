import type { SecretBox } from '@weft/core';

/** What Weft holds for a connection; sealed with AES-256-GCM at rest, host-side only. */
export type Credentials =
  | {
      type: 'OAUTH2';
      access_token: string;
      refresh_token?: string;
      /** ISO timestamp; absent when the provider gave no expiry. */
      expires_at?: string;
      raw: Record<string, unknown>;
    }
  | { type: 'OAUTH2_CC'; token: string; expires_at?: string; raw: Record<string, unknown> }
  | { type: 'API_KEY'; apiKey: string }
  | { type: 'BASIC'; username: string; password: string }
  | { type: 'NONE' }
  | ModeCredentials;

/** Auth modes implemented in `auth-modes/` (one file each); their credentials share one open shape. */
export type ModeName = 'TWO_STEP' | 'JWT' | 'OAUTH1' | 'APP' | 'SIGNATURE' | 'BILL' | 'TBA' | 'AWS_SIGV4' | 'CUSTOM';

/**
 * Credentials of the modes in `auth-modes/`, Nango's field names: `token` (what the proxy sends,
 * when the mode has one), `expires_at` (ISO; Weft refreshes before it), and the mode's own fields
 * (the values the end user entered, `oauth_token_secret`, `session_id`, …). Sealed like the others.
 */
export interface ModeCredentials {
  type: ModeName;
  token?: string;
  expires_at?: string;
  [field: string]: unknown;
}

export function sealCredentials(box: SecretBox, credentials: Credentials): string {
  return box.seal(JSON.stringify(credentials));
}

export function openCredentials(box: SecretBox, sealed: string | null): Credentials {
  return sealed === null ? { type: 'NONE' } : (JSON.parse(box.open(sealed)) as Credentials);
}

/** The access token to send, whatever the mode, or undefined. */
export function accessTokenOf(credentials: Credentials): string | undefined {
  if (credentials.type === 'OAUTH2') return credentials.access_token;
  if (credentials.type === 'OAUTH2_CC') return credentials.token;
  if ('token' in credentials && typeof credentials.token === 'string') return credentials.token;
  return undefined;
}

export function expiresAtOf(credentials: Credentials): string | undefined {
  return 'expires_at' in credentials && typeof credentials.expires_at === 'string' ? credentials.expires_at : undefined;
}
