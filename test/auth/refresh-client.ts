import { createAuthService, loadProviders } from '@weft/auth';
import { createSecretBox } from '@weft/core';
import { createPool } from '@weft/db';

/**
 * Second process for the single-flight refresh test: waits for "go" on stdin, then asks for the
 * same connection COUNT times concurrently and prints the access tokens it got.
 */
const env = process.env;
const pool = createPool(env.DB_URL ?? '', { max: 10 });
const auth = createAuthService({
  pool,
  box: createSecretBox(Buffer.from(env.BOX_KEY ?? '', 'hex')),
  providers: await loadProviders(new URL('../../providers.yaml', import.meta.url).pathname),
  publicUrl: 'http://127.0.0.1',
});
const ref = { environmentId: Number(env.ENV_ID), providerConfigKey: env.KEY ?? '', connectionId: env.CONN ?? '' };
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  const results = await Promise.all(Array.from({ length: Number(env.COUNT) }, () => auth.getConnection(ref)));
  const tokens = results.map((c) => (c.credentials.type === 'OAUTH2' ? c.credentials.access_token : ''));
  process.stdout.write(`${JSON.stringify({ tokens })}\n`);
  await pool.end();
  process.exit(0);
});
