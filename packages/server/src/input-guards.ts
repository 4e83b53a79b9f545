import { Readable } from 'node:stream';
import { coreErrors } from '@weft/core';
import type { FastifyInstance } from 'fastify';

/**
 * Where the first NUL byte (U+0000) sits in a parsed input — in a string or an object key — or
 * undefined. Postgres can store NUL in neither text nor jsonb, so such a value would otherwise
 * fail deep inside a query as a 500. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findNulByte(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path;
    } else if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) stack.push([current[i], `${path}.${i}`]);
    } else if (
      typeof current === 'object' &&
      current !== null &&
      !Buffer.isBuffer(current) &&
      !(current instanceof Readable)
    ) {
      for (const key of Object.keys(current)) {
        if (key.includes('\u0000')) return `${path}.${JSON.stringify(key)}`;
        stack.push([(current as Record<string, unknown>)[key], `${path}.${key}`]);
      }
    }
  }
  return undefined;
}

/**
 * One guard for every route, present and future: a NUL byte anywhere in the params, query,
 * headers or parsed body is a 400 naming where it is. Streamed bodies (the proxy's) are not
 * inspected: they go to the provider as bytes.
 */
export function installInputGuards(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const parts: Array<[string, unknown]> = [
      ['params', request.params],
      ['query', request.query],
      ['headers', request.headers],
      ['body', request.body],
    ];
    for (const [part, value] of parts) {
      const path = findNulByte(value, part);
      if (path === undefined) continue;
      const problem = `${path}: contains a NUL byte (\\u0000), which Weft cannot store`;
      throw coreErrors.create(
        'WEFT_API_INVALID_REQUEST',
        { problems: problem },
        { issues: [{ path, message: 'contains a NUL byte (\\u0000)' }] },
      );
    }
  });
}
