import { type OperationEntry, type OperationQuery, type Pool, queryOperations } from '@weft/db';
import { PROXY_METRICS, PROXY_REQUEST_OPERATIONS, PRUNE_PROXY_REQUESTS } from './sql/proxy-requests.js';

/** Proxy calls as operation-log lines. */
export function listProxyRequestOperations(pool: Pool, q: OperationQuery): Promise<OperationEntry[]> {
  return queryOperations(pool, PROXY_REQUEST_OPERATIONS, q);
}

/** Deletes one slice of proxy log lines created before `cutoff`; returns how many. */
export async function pruneProxyRequestsSlice(pool: Pool, cutoff: Date, slice: number): Promise<number> {
  const { rowCount } = await pool.query(PRUNE_PROXY_REQUESTS, [cutoff.toISOString(), slice]);
  return rowCount ?? 0;
}

/** GET /metrics: proxied calls (and failed ones) of the last 5 minutes. */
export async function proxyMetrics(pool: Pool): Promise<{ requests5m: number; errors5m: number }> {
  const { rows } = await pool.query<{ requests: number; errors: number }>(PROXY_METRICS);
  return { requests5m: rows[0]?.requests ?? 0, errors5m: rows[0]?.errors ?? 0 };
}
