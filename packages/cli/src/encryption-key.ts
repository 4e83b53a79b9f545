import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { coreErrors, generateEncryptionKey, parseEncryptionKey, type WeftConfig } from '@weft/core';

/**
 * The AES-256-GCM key for secrets at rest: WEFT_ENCRYPTION_KEY when set, else a key generated
 * once into `<WEFT_DATA_DIR>/encryption.key` (mode 600) so the zero-setup start still encrypts.
 * Losing that file means losing every stored credential: back it up with the database.
 */
export async function resolveEncryptionKey(
  config: WeftConfig,
): Promise<{ key: Buffer; source: 'env' | 'file' | 'generated' }> {
  if (config.WEFT_ENCRYPTION_KEY !== undefined) {
    const key = parseEncryptionKey(config.WEFT_ENCRYPTION_KEY);
    if (!key) {
      throw coreErrors.create('WEFT_CONFIG_INVALID', {
        problems:
          'WEFT_ENCRYPTION_KEY must be 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -base64 32`)',
      });
    }
    return { key, source: 'env' };
  }
  const file = path.join(config.WEFT_DATA_DIR, 'encryption.key');
  try {
    const key = parseEncryptionKey(await readFile(file, 'utf8'));
    if (!key) {
      throw coreErrors.create('WEFT_CONFIG_INVALID', { problems: `${file} does not hold a 32-byte key` });
    }
    return { key, source: 'file' };
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  await mkdir(config.WEFT_DATA_DIR, { recursive: true });
  const raw = generateEncryptionKey();
  // 'wx' so two processes starting together cannot overwrite each other's key.
  try {
    await writeFile(file, `${raw}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return resolveEncryptionKey(config);
    throw error;
  }
  return { key: parseEncryptionKey(raw)!, source: 'generated' };
}
