import { z } from 'zod';
import type { RouteContract } from './route-contract.js';
import { errorResponse } from './shared.js';

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), inlined: an empty metadata
 * registry keeps zod from emitting `$defs` references, which would resolve against the whole
 * document rather than the schema.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: z.registry() });
  return rest as JsonSchema;
}

/** `/connections/:connectionId` → `/connections/{connectionId}`; `/proxy/*` → `/proxy/{path}`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}');
}

function parameters(contract: RouteContract): JsonSchema[] {
  const out: JsonSchema[] = [];
  const add = (where: 'path' | 'query' | 'header', schema: z.ZodType | undefined) => {
    if (schema === undefined) return;
    const json = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: property,
      });
    }
  };
  add('path', contract.params);
  if (contract.url.endsWith('*'))
    out.push({
      name: 'path',
      in: 'path',
      required: true,
      schema: { type: 'string' },
      description: 'The provider path',
    });
  add('query', contract.query);
  add('header', contract.headers);
  return out;
}

const METHODS_OF_ALL = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** OpenAPI 3.1 for the whole API, from the route contracts. */
export function buildOpenApi(contracts: readonly RouteContract[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const contract of contracts) {
    const path = openApiPath(contract.url);
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(contract.responses)) {
      responses[status] = {
        description: response.description,
        content: Object.fromEntries(
          [response.contentType ?? 'application/json']
            .flat()
            .map((type) => [type, { schema: jsonSchema(response.schema, 'output') }]),
        ),
      };
    }
    responses.default = {
      description: 'Error: `{ error: { code, message, details? } }` with a stable code (docs/errors.md)',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    const operation: JsonSchema = {
      summary: contract.summary,
      tags: [contract.tag],
      ...(contract.nangoClient ? { description: `@nangohq/node: ${contract.nangoClient}` } : {}),
      ...(contract.public ? { security: [] } : {}),
      parameters: parameters(contract),
      ...(contract.body
        ? {
            requestBody: {
              required: !contract.body.safeParse(undefined).success,
              content: { 'application/json': { schema: jsonSchema(contract.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    const methods = contract.method === 'ALL' ? METHODS_OF_ALL : [contract.method.toLowerCase()];
    paths[path] ??= {};
    for (const method of methods) {
      paths[path][method] = {
        ...operation,
        operationId: `${method}${path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Weft API',
      version: '1',
      description:
        "Weft's REST API. Nango-compatible where Nango has the call: `@nangohq/node` works with `host` set to Weft's URL and Weft's secret key.",
    },
    servers: [{ url: serverUrl }],
    security: [{ secretKey: [] }],
    paths,
    components: {
      securitySchemes: { secretKey: { type: 'http', scheme: 'bearer', description: "The environment's secret key" } },
      schemas: { Error: jsonSchema(errorResponse, 'output') },
    },
  };
}
