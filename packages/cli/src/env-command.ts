import { createSecretBox, type WeftConfig } from '@weft/core';
import { migrate, openDatabase, revealSecretKey, rotateSecretKey } from '@weft/db';
import { resolveEncryptionKey } from './encryption-key.js';

/** `weft env show|rotate-key`: read or replace the secret key straight from the database. */
export async function envCommand(config: WeftConfig, action: 'show' | 'rotate-key', out: (line: string) => void) {
  const box = createSecretBox((await resolveEncryptionKey(config)).key);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.WEFT_DATA_DIR });
  try {
    await migrate(database.pool);
    if (action === 'rotate-key') {
      out(`Secret key: ${await rotateSecretKey(database.pool, box)}`);
      out('The previous key stopped working.');
      return;
    }
    const key = await revealSecretKey(database.pool, box);
    out(key ? `Environment: dev\nSecret key: ${key}` : 'No environment yet: run `weft start` once to create it.');
  } finally {
    await database.close();
  }
}
