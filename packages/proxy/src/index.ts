export { buildUrl, type QueryParams, redactedUrl } from './build-url.js';
export { ConnectionLimiter, type LimitSettings } from './connection-limiter.js';
export { proxyErrors } from './errors.js';
export { assertAllowedLiteral, blockedReason, guardedLookup, type OutboundPolicy } from './outbound-policy.js';
export { type PaginateOptions, paginate, pick } from './paginate.js';
export type { ResponseType } from './parse-body.js';
export {
  type CredentialSource,
  createProxy,
  type HttpMethod,
  type OutboundProxy,
  type ProxyCallContext,
  type ProxyOptions,
  type ProxyRequestConfig,
} from './proxy.js';
export { ProxyHttpError, type ProxyResponse } from './proxy-error.js';
export { listProxyRequestOperations, proxyMetrics, pruneProxyRequestsSlice } from './proxy-request-operations.js';
export { type ProxyBucket, type ProxyStats, type ProxyStatsWindow, proxyStats } from './proxy-stats.js';
export { listProxyRequests, type ProxyLogEntry, type ProxyLogQuery, ProxyRequestLog } from './request-log.js';
