import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { freePort } from '@weft/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnWeft } from '../helpers/weft-process.js';

/** `weft start` exactly as a user runs it, with Nango's pinned catalogue as WEFT_PROVIDERS_FILE. */
const catalogueFile = createRequire(import.meta.url).resolve('@nangohq/providers/providers.yaml');
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it("weft start loads Nango's whole catalogue, warns per entry with file:line and serves all 1,013 entries", async () => {
  const port = await freePort();
  const weft = spawnWeft(['start'], {
    DATABASE_URL: db.url,
    WEFT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    PORT: String(port),
    WEFT_PROVIDERS_FILE: catalogueFile,
  });
  try {
    const [, url] = await weft.waitForLine(/^API URL: (http\S+)$/, 120_000);
    const [, key] = await weft.waitForLine(/^Secret key: (weft_sk_\S+)$/);
    const out = weft.stdout.join('\n');
    expect(out).toMatch(new RegExp(`^providers: \\d+ field\\(s\\) Weft does not act on in ${catalogueFile}:$`, 'm'));
    expect(out).toContain(
      `  warning: ${catalogueFile}:21096 salesforce.webhook_routing_script: recorded (salesforceWebhookRouting)`,
    );
    const response = await fetch(`${url}/providers`, { headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ name: string; weft: { supported: boolean } }> };
    expect(body.data).toHaveLength(1013);
    expect(body.data.find((p) => p.name === 'salesforce')?.weft.supported).toBe(true);
  } finally {
    weft.signal('SIGTERM');
    expect(await weft.exited).toBe(0);
  }
});
