import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { coreErrors } from './errors.js';

const VERSION = 'v1';

/**
 * AES-256-GCM envelope for secrets at rest (credentials, client secrets, secret keys).
 * Format: `v1.<iv>.<tag>.<ciphertext>` (base64url). A fresh 12-byte IV per value; the tag
 * makes tampering (or a wrong key) fail loudly instead of returning garbage.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** Parse a 32-byte key given as 64 hex characters or base64; null when the shape is wrong. */
export function parseEncryptionKey(raw: string): Buffer | null {
  const trimmed = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const decoded = Buffer.from(trimmed, 'base64');
  return decoded.length === 32 ? decoded : null;
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32)
    throw coreErrors.create('WEFT_CONFIG_INVALID', { problems: 'encryption key must be 32 bytes' });
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
        throw coreErrors.create('WEFT_CORE_INTERNAL', { reason: 'encrypted value has an unknown format' });
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw coreErrors.create(
          'WEFT_CORE_INTERNAL',
          { reason: 'an encrypted value could not be decrypted (wrong WEFT_ENCRYPTION_KEY?)' },
          undefined,
          cause,
        );
      }
    },
  };
}
