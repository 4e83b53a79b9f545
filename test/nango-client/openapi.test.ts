import { Validator } from '@seriousme/openapi-schema-validator';
import { openApiPath, registeredRoutes, routeContracts } from '@weft/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from '../helpers/api-harness.js';

/** `GET /openapi.json` is valid OpenAPI 3.1 and describes exactly the routes the server registers. */

let h: ApiHarness;

beforeAll(async () => {
  h = await startApi({ scheduler: { tickMs: 1_000 } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('GET /openapi.json', () => {
  it('is public and validates as OpenAPI 3.1', async () => {
    const response = await fetch(`${h.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
  });

  it('has a contract for every registered route and no contract without a route', async () => {
    const registered = new Set(
      registeredRoutes(h.app)
        // Fastify adds HEAD for every GET by itself.
        .filter(
          (r) => r.method !== 'HEAD' || !registeredRoutes(h.app).some((g) => g.method === 'GET' && g.url === r.url),
        )
        .filter((r) => !routeContracts.some((c) => c.method === 'ALL' && c.url === r.url))
        .map((r) => `${r.method} ${r.url}`),
    );
    const declared = new Set(
      routeContracts.filter((c) => c.method !== 'ALL').map((c) => `${String(c.method)} ${c.url}`),
    );
    expect([...registered].filter((r) => !declared.has(r)).sort()).toEqual([]);
    expect([...declared].filter((d) => !registered.has(d)).sort()).toEqual([]);
    for (const all of routeContracts.filter((c) => c.method === 'ALL'))
      expect(registeredRoutes(h.app).some((r) => r.url === all.url)).toBe(true);
  });

  it('lists every route with its parameters, body, answers and the error shape', async () => {
    const document = (await (await fetch(`${h.url}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { parameters: Array<{ name: string; in: string }>; responses: Record<string, unknown>; requestBody?: unknown }
        >
      >;
      components: { schemas: Record<string, unknown> };
    };
    for (const contract of routeContracts) {
      const path = document.paths[openApiPath(contract.url)];
      expect(path, contract.url).toBeDefined();
      const operation = path?.[contract.method === 'ALL' ? 'get' : String(contract.method).toLowerCase()];
      expect(operation, `${String(contract.method)} ${contract.url}`).toBeDefined();
      expect(operation?.responses.default).toEqual(expect.objectContaining({ description: expect.any(String) }));
      if (contract.body) expect(operation?.requestBody).toBeDefined();
    }
    expect(document.components.schemas.Error).toBeDefined();
    const records = document.paths['/records']?.get;
    expect(records?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['query:model', 'query:cursor', 'header:connection-id', 'header:provider-config-key']),
    );
  });
});
