import { coreErrors, type WeftConfig } from '@weft/core';
import { migrate, openDatabase } from '@weft/db';
import { resealRecords } from '@weft/records';
import { resolveEncryptionKey } from './encryption-key.js';
import { recordCipherFor } from './records-cipher.js';

/**
 * `weft records reseal`: after turning WEFT_RECORDS_ENCRYPTION on, or rotating its key, seal every
 * stored payload with the current key (old keys can then leave WEFT_RECORDS_ENCRYPTION_PREVIOUS_KEYS).
 */
export async function resealCommand(config: WeftConfig, out: (line: string) => void): Promise<void> {
  const { key } = await resolveEncryptionKey(config);
  const cipher = recordCipherFor(config, key);
  if (cipher === undefined)
    throw coreErrors.create('WEFT_CONFIG_INVALID', {
      problems: 'WEFT_RECORDS_ENCRYPTION: must be on to reseal record payloads',
    });
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.WEFT_DATA_DIR });
  try {
    await migrate(database.pool);
    const result = await resealRecords(database.pool, cipher);
    out(`Resealed ${result.resealed} of ${result.scanned} record payloads with key ${cipher.keyId}.`);
  } finally {
    await database.close();
  }
}
