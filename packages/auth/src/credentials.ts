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
  | { type: 'NONE' };

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
  return undefined;
}

export function expiresAtOf(credentials: Credentials): string | undefined {
  return credentials.type === 'OAUTH2' || credentials.type === 'OAUTH2_CC' ? credentials.expires_at : undefined;
}
