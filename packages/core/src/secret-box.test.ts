import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, parseEncryptionKey } from './secret-box.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('refresh-token-123');
    const b = box.seal('refresh-token-123');
    expect(a).not.toBe(b);
    expect(a).not.toContain('refresh-token-123');
    expect(box.open(a)).toBe('refresh-token-123');
  });

  it('fails loudly on tampering or a wrong key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow(/could not be decrypted/);
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow(/could not be decrypted/);
  });

  it('parses hex and base64 keys and rejects other lengths', () => {
    expect(parseEncryptionKey('a'.repeat(64))?.length).toBe(32);
    expect(parseEncryptionKey(randomBytes(32).toString('base64'))?.length).toBe(32);
    expect(parseEncryptionKey('short')).toBeNull();
  });
});
