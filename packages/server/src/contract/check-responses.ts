import type { FastifyInstance } from 'fastify';
import type { RouteContract } from './route-contract.js';
import { errorResponse } from './shared.js';

/** An answer its route's contract does not describe. */
export interface ContractViolation {
  method: string;
  url: string;
  status: number;
  problem: string;
}

/**
 * Check every JSON answer against its route's contract (tests turn this on): an undeclared
 * status, a body that does not parse with the declared schema, or a failure that is not the
 * `Error` shape is reported. Costs a parse per response, so production leaves it off.
 */
export function checkResponses(
  app: FastifyInstance,
  contracts: readonly RouteContract[],
  report: (violation: ContractViolation) => void,
): void {
  const byRoute = new Map<string, RouteContract>();
  for (const c of contracts) byRoute.set(`${c.method} ${c.url}`, c);
  app.addHook('onSend', async (request, reply, payload) => {
    const url = request.routeOptions.url;
    if (url === undefined || request.is404) return payload;
    const contract = byRoute.get(`${request.method} ${url}`) ?? byRoute.get(`ALL ${url}`);
    const status = reply.statusCode;
    const problem = (text: string) => report({ method: request.method, url, status, problem: text });
    if (contract === undefined) {
      problem('no contract for this route');
      return payload;
    }
    if (contract.method === 'ALL') return payload; // the proxy passes the provider's answer through
    const type = String(reply.getHeader('content-type') ?? '');
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    if (status >= 400) {
      if (body === undefined || !type.includes('json')) return payload;
      const parsed = errorResponse.safeParse(JSON.parse(body));
      if (!parsed.success) problem(`error body: ${parsed.error.message}`);
      return payload;
    }
    const declared = contract.responses[status];
    if (declared === undefined) {
      problem(`status ${status} is not declared`);
      return payload;
    }
    if ((declared.contentType ?? 'application/json') !== 'application/json' || body === undefined) return payload;
    const parsed = declared.schema.safeParse(JSON.parse(body));
    if (!parsed.success) problem(parsed.error.message);
    return payload;
  });
}
