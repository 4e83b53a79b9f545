import { parseEncryptionKey, type WeftConfig } from '@weft/core';
import { createRecordCipher, deriveRecordsKey, type RecordCipher } from '@weft/records';

/**
 * The records cipher for `WEFT_RECORDS_ENCRYPTION=on` (undefined when off). Keys: the records key
 * (WEFT_RECORDS_ENCRYPTION_KEY, else derived from the master key), earlier records keys for
 * reading, and a content-hash key derived from the master key (it never rotates).
 */
export function recordCipherFor(config: WeftConfig, masterKey: Buffer): RecordCipher | undefined {
  if (config.WEFT_RECORDS_ENCRYPTION !== 'on') return undefined;
  const explicit = config.WEFT_RECORDS_ENCRYPTION_KEY ? parseEncryptionKey(config.WEFT_RECORDS_ENCRYPTION_KEY) : null;
  const current = explicit ?? deriveRecordsKey(masterKey, 'records-encryption');
  return createRecordCipher({
    current,
    // With an explicit key, the derived one stays readable: moving off it needs no extra setting.
    previous: [
      ...config.WEFT_RECORDS_ENCRYPTION_PREVIOUS_KEYS.flatMap((k) => parseEncryptionKey(k) ?? []),
      ...(explicit ? [deriveRecordsKey(masterKey, 'records-encryption')] : []),
    ],
    hashKey: deriveRecordsKey(masterKey, 'records-hash'),
  });
}
