import { randomBytes } from 'node:crypto';
import { createSecretBox, resolveConfig } from '@weft/core';
import { createPool } from '@weft/db';
import { createRecordCipher, deriveRecordsKey } from '@weft/records';
import { buildServer } from '@weft/server';

/**
 * A Weft API in its own process for read benches, so the consumer (the bench process) and the
 * server do not share one event loop — as in a real deployment. Usage: node … <database url>;
 * prints `URL <base url>` once listening and exits when stdin closes. An optional hex master key
 * turns on records encryption (WEFT_RECORDS_ENCRYPTION=on) with keys derived from it.
 */
const databaseUrl = process.argv[2];
if (databaseUrl === undefined) throw new Error('usage: api-server-process.ts <database url>');
const pool = createPool(databaseUrl, { max: 4 });
const masterKey = process.argv[3] ? Buffer.from(process.argv[3], 'hex') : undefined;
const recordCipher = masterKey
  ? createRecordCipher({
      current: deriveRecordsKey(masterKey, 'records-encryption'),
      hashKey: deriveRecordsKey(masterKey, 'records-hash'),
    })
  : undefined;
const app = await buildServer({
  config: resolveConfig({ LOG_LEVEL: 'silent' }),
  pool,
  box: createSecretBox(randomBytes(32)),
  publicUrl: 'http://localhost',
  ...(recordCipher ? { recordCipher } : {}),
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`URL ${url}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
