import { randomBytes } from 'node:crypto';
import { createSecretBox, resolveConfig } from '@weft/core';
import { createPool, type Pool, rotateSecretKey } from '@weft/db';
import { createRecordStore, registerModels } from '@weft/records';
import { buildServer } from '@weft/server';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { type SeededConnection, seedConnection } from '../helpers/fixtures.js';

// Issue 21, acceptance 4: the API remembers a secret key's environment and a records page's
// connection (no lookup round trip per page), yet a rotated key or a deleted connection is
// refused on the very next request: at once in the process that made the change, and in every
// other API process sharing the database as soon as Postgres delivers the NOTIFY (the test
// waits for that event, never for time).

let h: ApiHarness;
/** A second API over the same database with its own pool and listener, as another process has. */
let other: { app: FastifyInstance; pool: Pool; url: string };
let keep: SeededConnection;
let doomed: SeededConnection;

beforeAll(async () => {
  h = await startApi();
  keep = await seedConnection(h.db.pool, { environmentId: h.environmentId, providerConfigKey: 'crm' });
  doomed = await seedConnection(h.db.pool, { environmentId: h.environmentId, providerConfigKey: 'crm' });
  await registerModels(h.db.pool, keep.integrationId, { Contact: { type: 'object' } });
  const store = createRecordStore({ pool: h.db.pool });
  for (const c of [keep, doomed])
    await store.batchSave({ environmentId: h.environmentId, connectionRowId: c.id, model: 'Contact' }, [{ id: 'a' }]);
  const pool = createPool(h.db.url, { max: 2 });
  const app = await buildServer({
    config: resolveConfig({ LOG_LEVEL: 'silent' }),
    pool,
    box: createSecretBox(randomBytes(32)),
    publicUrl: 'http://localhost',
  });
  other = { app, pool, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
});
afterAll(async () => {
  await other.app.close();
  await other.pool.end();
  await h.close();
});

const read = (base: string, key: string, connection: SeededConnection) =>
  fetch(`${base}/records?model=Contact`, {
    headers: {
      authorization: `Bearer ${key}`,
      'connection-id': connection.connectionId,
      'provider-config-key': 'crm',
    },
  });

async function statusAndCode(response: Response) {
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code };
}

/** Resolves when `app` has dropped its lookups because of a NOTIFY. */
function notified(app: FastifyInstance): Promise<void> {
  return new Promise((resolve) => {
    const off = app.lookups.onNotified(() => {
      off();
      resolve();
    });
  });
}

describe('remembered lookups honour deletion and rotation', () => {
  it('repeated pages are answered from the remembered lookups', async () => {
    for (const base of [h.url, other.url])
      for (let i = 0; i < 3; i++) expect((await read(base, h.secretKey, doomed)).status).toBe(200);
  });

  it('a deleted connection is refused on the very next request, here and in the other process', async () => {
    const elsewhere = notified(other.app);
    const deleted = await h.api(`/connection/${doomed.connectionId}?provider_config_key=crm`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    // Same process: no waiting at all.
    expect(await statusAndCode(await read(h.url, h.secretKey, doomed))).toEqual({
      status: 404,
      code: 'WEFT_RECORDS_CONNECTION_NOT_FOUND',
    });
    await elsewhere;
    expect(await statusAndCode(await read(other.url, h.secretKey, doomed))).toEqual({
      status: 404,
      code: 'WEFT_RECORDS_CONNECTION_NOT_FOUND',
    });
    expect((await read(other.url, h.secretKey, keep)).status).toBe(200);
  });

  it('a rotated key (`weft env rotate-key`, another process) is refused on the next request; the new key works', async () => {
    expect((await read(h.url, h.secretKey, keep)).status).toBe(200);
    expect((await read(other.url, h.secretKey, keep)).status).toBe(200);
    const here = notified(h.app);
    const elsewhere = notified(other.app);
    // What the CLI does, over a connection of its own.
    const cli = createPool(h.db.url, { max: 1 });
    const rotated = await rotateSecretKey(cli, h.box);
    await cli.end();
    await Promise.all([here, elsewhere]);
    for (const base of [h.url, other.url]) {
      expect(await statusAndCode(await read(base, h.secretKey, keep))).toEqual({
        status: 401,
        code: 'WEFT_API_UNAUTHORIZED',
      });
      expect((await read(base, rotated, keep)).status).toBe(200);
    }
  });
});
