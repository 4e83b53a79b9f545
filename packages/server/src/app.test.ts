import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createSecretBox, resolveConfig } from '@weft/core';
import { ensureEnvironment } from '@weft/db';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.js';
import { buildServer } from './app.js';

describe('server basics', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let secretKey: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const box = createSecretBox(randomBytes(32));
    secretKey = (await ensureEnvironment(db.pool, box)).createdSecretKey!;
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().split('\n').filter(Boolean)));
    app = await buildServer(
      { config: resolveConfig({ LOG_LEVEL: 'info' }), pool: db.pool, box, publicUrl: 'http://localhost:3003' },
      { logStream },
    );
    // A route with a JSON body, to see how body-parsing failures leave the API.
    app.post('/test/echo', async (request) => ({ echoed: request.body }));
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('answers /health without a key and reports the migration version', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      db: { ok: true, migration: expect.stringMatching(/^\d{3}_/) },
    });
  });

  it('accepts the secret key and names the environment', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/environment',
      headers: { authorization: `Bearer ${secretKey}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().environment.name).toBe('dev');
  });

  it.each([
    ['a wrong key', () => ({ authorization: 'Bearer weft_sk_wrong' }), /Unknown secret key/],
    ['no header', () => ({}), /Missing Authorization header/],
    ['another scheme', () => ({ authorization: `Basic ${secretKey}` }), /must be `Bearer <secret key>`/],
  ])('rejects %s with 401 WEFT_API_UNAUTHORIZED', async (_label, headers, message) => {
    const response = await app.inject({ method: 'GET', url: '/environment', headers: headers() });
    expect(response.statusCode).toBe(401);
    const body = response.json();
    expect(body.error.code).toBe('WEFT_API_UNAUTHORIZED');
    expect(body.error.message).toMatch(message);
  });

  it('answers unknown routes with 404 in the error format', async () => {
    const response = await app.inject({ method: 'POST', url: '/no/such/route?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'WEFT_API_NOT_FOUND', message: 'No route POST /no/such/route' } });
  });

  it('answers malformed JSON with 400 in the error format', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      code: 'WEFT_API_INVALID_REQUEST',
      message: expect.stringMatching(/JSON/),
    });
  });

  it('never logs the secret key, and redacts secret query values', async () => {
    await app.inject({
      method: 'GET',
      url: '/environment?code=oauth-code-123&state=xyz&page=2',
      headers: { authorization: `Bearer ${secretKey}` },
    });
    const all = logLines.join('\n');
    expect(all).toContain('/environment?code=%5Bredacted%5D&state=%5Bredacted%5D&page=2');
    expect(all).not.toContain(secretKey);
    expect(all).not.toContain('oauth-code-123');
  });
});
