import { randomBytes } from 'node:crypto';
import { createSecretBox, resolveConfig, type SecretBox } from '@weft/core';
import { ensureEnvironment } from '@weft/db';
import { buildServer } from '@weft/server';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** Parsed JSON of a test response; tests assert its shape, so it is deliberately loose. */
// biome-ignore lint/suspicious/noExplicitAny: test-side reading of arbitrary response bodies
export type Body = any;

export interface ApiHarness {
  db: TestDatabase;
  app: FastifyInstance;
  box: SecretBox;
  /** Base URL of the listening server (loopback, random port). */
  url: string;
  environmentId: number;
  secretKey: string;
  /** fetch against the API with the secret key. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Like `api`, returning the parsed body. */
  get(path: string, init?: RequestInit & { json?: unknown }): Promise<Body>;
  close(): Promise<void>;
}

/** A real Weft API on loopback over a fresh database, with its environment's secret key. */
export async function startApi(): Promise<ApiHarness> {
  const db = await createTestDatabase();
  const box = createSecretBox(randomBytes(32));
  const { environment, createdSecretKey } = await ensureEnvironment(db.pool, box);
  const secretKey = createdSecretKey ?? '';
  const app = await buildServer({
    config: resolveConfig({ LOG_LEVEL: 'silent' }),
    pool: db.pool,
    box,
    publicUrl: 'http://localhost',
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const api: ApiHarness['api'] = (path, init = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${secretKey}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
  };
  return {
    db,
    app,
    box,
    url,
    environmentId: environment.id,
    secretKey,
    api,
    async get(path, init) {
      return (await api(path, init)).json();
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
