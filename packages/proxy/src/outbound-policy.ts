import {
  assertAllowedLiteral as assertLiteral,
  blockedReason,
  guardedLookup as coreGuardedLookup,
  type OutboundPolicy,
  type OutboundRefusal,
} from '@weft/core';
import { proxyErrors } from './errors.js';

// The guard itself is Weft's one outbound policy (core/src/outbound-policy.ts); the proxy only
// keeps its own error code, which scripts and API callers already match on.
export { blockedReason, type OutboundPolicy };

const proxyRefusal: OutboundRefusal = (host, reason) =>
  proxyErrors.create('WEFT_PROXY_BLOCKED_ADDRESS', { host, reason });

/** Check a URL's host when it is an IP literal (sockets skip DNS lookup for those). */
export function assertAllowedLiteral(policy: OutboundPolicy, url: URL): void {
  assertLiteral(policy, url.hostname, proxyRefusal);
}

/** The socket lookup that refuses blocked addresses at connect time (DNS rebinding included). */
export function guardedLookup(policy: OutboundPolicy) {
  return coreGuardedLookup(policy, proxyRefusal);
}
