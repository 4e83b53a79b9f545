import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { recordsErrors } from './errors.js';

/** Sealed payloads are stored as a JSON string: `"weft:r1:<key id>:<base64 iv|tag|ciphertext>"`. */
const PREFIX = 'weft:r1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encryption of record payloads at rest (`WEFT_RECORDS_ENCRYPTION=on`): AES-256-GCM with a fresh
 * IV per payload; each sealed value names its key, so keys can rotate while old values stay
 * readable. The content hash that detects unchanged saves becomes an HMAC, so the stored hash
 * reveals nothing about the payload either.
 */
export interface RecordCipher {
  /** Id of the key new payloads are sealed with. */
  readonly keyId: string;
  /** Canonical JSON text → the JSON text stored in `records.payload` (a JSON string). */
  seal(json: string): string;
  /** Stored JSON text → the record's JSON text; plain (unsealed) payloads are returned as they are. */
  open(stored: string): string;
  /** Content hash of canonical JSON text, keyed (HMAC-SHA256). */
  hash(json: string): string;
}

export interface RecordCipherKeys {
  /** 32-byte key new payloads are sealed with. */
  current: Buffer;
  /** Keys of earlier rotations, still accepted for reading. */
  previous?: readonly Buffer[];
  /** 32-byte key of the content-hash HMAC; it does not rotate (a new one makes every record look changed). */
  hashKey: Buffer;
}

/** A purpose-bound 32-byte key derived from the deployment's master key (WEFT_ENCRYPTION_KEY). */
export function deriveRecordsKey(masterKey: Buffer, purpose: 'records-encryption' | 'records-hash'): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `weft:${purpose}:v1`, 32));
}

const keyIdOf = (key: Buffer) =>
  createHash('sha256').update('weft-records-key-id').update(key).digest('hex').slice(0, 8);

export function createRecordCipher(keys: RecordCipherKeys): RecordCipher {
  const all = [keys.current, ...(keys.previous ?? [])];
  for (const key of [...all, keys.hashKey]) {
    if (key.length !== 32)
      throw recordsErrors.create('WEFT_RECORDS_ENCRYPTION_KEY', { reason: 'keys must be 32 bytes' });
  }
  const byId = new Map(all.map((key) => [keyIdOf(key), key]));
  const keyId = keyIdOf(keys.current);
  const head = `"${PREFIX}${keyId}:`;
  return {
    keyId,
    seal(json) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
      const body = Buffer.concat([iv, Buffer.alloc(TAG_BYTES), cipher.update(json, 'utf8'), cipher.final()]);
      cipher.getAuthTag().copy(body, IV_BYTES);
      // base64 needs no JSON escaping, so the stored text is built without JSON.stringify.
      return `${head}${body.toString('base64')}"`;
    },
    open(stored) {
      if (stored.charCodeAt(0) !== 0x22) return stored;
      const id = stored.slice(1 + PREFIX.length, 1 + PREFIX.length + 8);
      const key = byId.get(id);
      if (!stored.startsWith(PREFIX, 1) || key === undefined)
        throw recordsErrors.create('WEFT_RECORDS_ENCRYPTION_KEY', {
          reason: `a record payload is sealed with key ${id}, which is not configured (WEFT_RECORDS_ENCRYPTION_KEY / _PREVIOUS_KEYS)`,
        });
      const body = Buffer.from(stored.slice(1 + PREFIX.length + 9, -1), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
      decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw recordsErrors.create('WEFT_RECORDS_ENCRYPTION_KEY', {
          reason: `a record payload sealed with key ${id} fails authentication (tampered, or the key is wrong)`,
        });
      }
    },
    hash(json) {
      return createHmac('sha256', keys.hashKey).update(json).digest('base64');
    },
  };
}

/**
 * A payload as read from Postgres (JSON text): opened with the cipher when sealed; a sealed
 * payload without a cipher is an error that says how to configure one.
 */
export function openPayload(stored: string, cipher: RecordCipher | undefined): string {
  if (stored.charCodeAt(0) !== 0x22) return stored;
  if (cipher === undefined)
    throw recordsErrors.create('WEFT_RECORDS_ENCRYPTION_KEY', {
      reason: 'record payloads are encrypted but this process has no records key (set WEFT_RECORDS_ENCRYPTION=on)',
    });
  return cipher.open(stored);
}
