import { createRecordStore, type RecordScope, registerModels } from '@weft/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';
import { type SeededConnection, seedConnection } from '../helpers/fixtures.js';

let h: ApiHarness;
let conn: SeededConnection;
let scope: RecordScope;

const Contact = z.object({ id: z.string(), email: z.string(), tags: z.array(z.string()) });

beforeAll(async () => {
  h = await startApi();
  conn = await seedConnection(h.db.pool, { environmentId: h.environmentId, providerConfigKey: 'crm' });
  await registerModels(h.db.pool, conn.integrationId, { Contact: z.toJSONSchema(Contact) });
  scope = { environmentId: h.environmentId, connectionRowId: conn.id, model: 'Contact' };
  const store = createRecordStore({ pool: h.db.pool });
  await store.batchSave(
    scope,
    Array.from({ length: 25 }, (_, i) => ({ id: `c${i}`, email: `c${i}@example.com`, tags: [] })),
  );
  await store.batchDelete(scope, [{ id: 'c3' }]);
});
afterAll(() => h.close());

const headers = () => ({ 'Connection-Id': conn.connectionId, 'Provider-Config-Key': 'crm' });

describe('GET /records', () => {
  it('pages with next_cursor and returns Nango metadata', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs = new URLSearchParams({ model: 'Contact', limit: '10', ...(cursor ? { cursor } : {}) });
      const response = await h.api(`/records?${qs}`, { headers: headers() });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await response.json()) as {
        records: Array<{ id: string; _nango_metadata: object }>;
        next_cursor: string | null;
      };
      seen.push(...body.records.map((r) => r.id));
      for (const r of body.records) {
        expect(r._nango_metadata).toMatchObject({
          first_seen_at: expect.stringMatching(/Z$/),
          last_modified_at: expect.stringMatching(/\.\d{6}Z$/),
          last_action: expect.stringMatching(/^(ADDED|DELETED)$/),
          cursor: expect.any(String),
        });
      }
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[24]).toBe('c3'); // the deletion is the newest change
  });

  it('filters by action, ids and modified_after', async () => {
    const deleted = await h.get('/records?model=Contact&filter=deleted', { headers: headers() });
    expect(deleted.records.map((r: { id: string }) => r.id)).toEqual(['c3']);
    expect(deleted.records[0]._nango_metadata.deleted_at).toEqual(expect.any(String));
    const some = await h.get('/records?model=Contact&ids=c1&ids=c2', { headers: headers() });
    expect(some.records.map((r: { id: string }) => r.id).sort()).toEqual(['c1', 'c2']);
    const upper = await h.get('/records?model=Contact&filter=ADDED,UPDATED', { headers: headers() });
    expect(upper.records).toHaveLength(24);
    const future = await (
      await h.api('/records?model=Contact&modified_after=2999-01-01T00:00:00.000Z', { headers: headers() })
    ).json();
    expect(future).toEqual({ records: [], next_cursor: null });
  });

  it.each([
    ['unknown model', '/records?model=Nope', 'default', 400, 'WEFT_RECORDS_UNKNOWN_MODEL'],
    ['missing model', '/records', 'default', 400, 'WEFT_API_INVALID_REQUEST'],
    ['malformed cursor', '/records?model=Contact&cursor=garbage', 'default', 400, 'WEFT_RECORDS_INVALID_CURSOR'],
    ['limit 0', '/records?model=Contact&limit=0', 'default', 400, 'WEFT_API_INVALID_REQUEST'],
    ['limit 10⁶', '/records?model=Contact&limit=1000000', 'default', 400, 'WEFT_API_INVALID_REQUEST'],
    ['limit not a number', '/records?model=Contact&limit=ten', 'default', 400, 'WEFT_API_INVALID_REQUEST'],
    ['unknown filter', '/records?model=Contact&filter=added,removed', 'default', 400, 'WEFT_API_INVALID_REQUEST'],
    [
      'bad modified_after',
      '/records?model=Contact&modified_after=yesterday',
      'default',
      400,
      'WEFT_API_INVALID_REQUEST',
    ],
    [
      'missing Connection-Id',
      '/records?model=Contact',
      { 'Provider-Config-Key': 'crm' },
      400,
      'WEFT_API_INVALID_REQUEST',
    ],
    [
      'missing Provider-Config-Key',
      '/records?model=Contact',
      { 'Connection-Id': 'x' },
      400,
      'WEFT_API_INVALID_REQUEST',
    ],
    [
      'unknown connection',
      '/records?model=Contact',
      { 'Connection-Id': 'x', 'Provider-Config-Key': 'crm' },
      404,
      'WEFT_RECORDS_CONNECTION_NOT_FOUND',
    ],
  ])('%s', async (_label, path, hdrs, status, code) => {
    const response = await h.api(path, { headers: typeof hdrs === 'string' ? headers() : hdrs });
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
  });

  it('names the missing header and the known models', async () => {
    const missing = await h.get('/records?model=Contact', { headers: { 'Provider-Config-Key': 'crm' } });
    expect(missing.error.message).toContain('headers.connection-id: header Connection-Id is required');
    const unknown = await h.get('/records?model=contact', { headers: headers() });
    expect(unknown.error.details).toEqual({ known: ['Contact'] });
  });

  it('requires the secret key', async () => {
    const response = await fetch(`${h.url}/records?model=Contact`, { headers: headers() });
    expect(response.status).toBe(401);
  });
});

describe('PATCH /records/prune', () => {
  it('empties payloads up to the cursor and keeps metadata', async () => {
    const first = await h.get('/records?model=Contact&limit=5', { headers: headers() });
    const until = first.records[4]._nango_metadata.cursor as string;
    const response = await h.api('/records/prune', {
      method: 'PATCH',
      headers: headers(),
      json: { model: 'Contact', until_cursor: until },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ count: 5, has_more: false });
    const after = await h.get('/records?model=Contact&limit=6', { headers: headers() });
    expect(after.records[0]).toEqual({
      id: 'c0',
      _nango_metadata: expect.objectContaining({ pruned_at: expect.any(String) }),
    });
    expect(after.records[5]).toMatchObject({ id: 'c6', email: 'c6@example.com' }); // c3 was deleted: its change is last
    const bad = await h.api('/records/prune', {
      method: 'PATCH',
      headers: headers(),
      json: { model: 'Contact', until_cursor: 'zzz' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('WEFT_RECORDS_INVALID_CURSOR');
  });
});
