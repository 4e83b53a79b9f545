import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { coreErrors } from './errors.js';
import { isWeftError, type WeftError } from './weft-error.js';

/**
 * Which destinations Weft's outbound requests may reach — the proxy, token endpoints and refresh,
 * auth-mode requests, verification requests, webhook delivery, alerts. Public internet only,
 * unless widened explicitly (WEFT_ALLOW_PRIVATE_NETWORK, WEFT_PROXY_ALLOWED_HOSTS). OTLP export
 * is not covered: its collector is configured by the operator and is often on a private address.
 */
export interface OutboundPolicy {
  /** Reach private, loopback and link-local addresses too (tests, on-premise APIs). @default false */
  allowPrivateNetwork?: boolean;
  /** Hosts (exact names or IP addresses) or CIDR ranges allowed even when private. */
  allowedHosts?: string[];
}

/** Builds the error for a refused destination (the proxy keeps its own code, WEFT_PROXY_BLOCKED_ADDRESS). */
export type OutboundRefusal = (host: string, reason: string) => Error;

/** The refusal every caller but the proxy reports: WEFT_OUTBOUND_BLOCKED_ADDRESS. */
export const outboundRefusal: OutboundRefusal = (host, reason) =>
  coreErrors.create('WEFT_OUTBOUND_BLOCKED_ADDRESS', { host, reason });

// Ranges that never belong to a public API: RFC 1918, loopback, link-local (incl. the cloud
// metadata address 169.254.169.254), CGNAT, unique-local v6, multicast, reserved, …
const BLOCKED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
]);

function rangeOf(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range();
}

function allowListed(policy: OutboundPolicy, host: string, address: string): boolean {
  for (const entry of policy.allowedHosts ?? []) {
    if (entry.includes('/')) {
      try {
        const [range, bits] = ipaddr.parseCIDR(entry);
        const ip = ipaddr.parse(address);
        // Same family checked first, so the casts only pick the overload.
        if (ip.kind() === range.kind() && (ip as ipaddr.IPv4).match([range as ipaddr.IPv4, bits])) return true;
      } catch {
        // not a CIDR we can compare with this address family
      }
    } else if (entry.toLowerCase() === host.toLowerCase() || entry === address) {
      return true;
    }
  }
  return false;
}

/** Why `address` (resolved for `host`) is refused, or null when it may be contacted. */
export function blockedReason(policy: OutboundPolicy, host: string, address: string): string | null {
  if (policy.allowPrivateNetwork === true || allowListed(policy, host, address)) return null;
  const range = rangeOf(address);
  if (!BLOCKED_RANGES.has(range)) return null;
  return `${address} is a ${range} address${host !== address ? ` (resolved from ${host})` : ''}`;
}

/** Check a host when it is an IP literal (sockets skip the DNS lookup for those). */
export function assertAllowedLiteral(
  policy: OutboundPolicy,
  hostname: string,
  refuse: OutboundRefusal = outboundRefusal,
): void {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(host)) return;
  const reason = blockedReason(policy, host, host);
  if (reason !== null) throw refuse(host, reason);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for sockets: it resolves, then refuses blocked addresses at connect
 * time — so DNS rebinding between a check and the connect cannot slip through.
 */
export function guardedLookup(policy: OutboundPolicy, refuse: OutboundRefusal = outboundRefusal) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, []);
        return;
      }
      const list = addresses as LookupAddress[];
      for (const entry of list) {
        const reason = blockedReason(policy, hostname, entry.address);
        if (reason !== null) {
          callback(refuse(hostname, reason) as NodeJS.ErrnoException, []);
          return;
        }
      }
      if (options.all) callback(null, list);
      else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4);
    });
  };
}

/**
 * An undici dispatcher that applies `policy` to every connection it opens: IP literals are
 * checked before connecting, names in the socket's own lookup (so every redirect hop and every
 * pooled reconnect is checked too).
 */
export function createOutboundDispatcher(
  policy: OutboundPolicy,
  options: { refuse?: OutboundRefusal; ca?: string | string[] } = {},
): Dispatcher {
  const refuse = options.refuse ?? outboundRefusal;
  const connector = buildConnector({
    lookup: guardedLookup(policy, refuse) as never,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  return new Agent({
    connect(connectOptions, callback) {
      try {
        assertAllowedLiteral(policy, connectOptions.hostname, refuse);
      } catch (error) {
        callback(error as Error, null);
        return;
      }
      connector(connectOptions, callback);
    },
  });
}

// The process's policy: strict until an entry point sets it from its configuration.
let current: OutboundPolicy = {};
let shared: Dispatcher | undefined;

/** Set by entry points (weft start / worker) from WEFT_ALLOW_PRIVATE_NETWORK and WEFT_PROXY_ALLOWED_HOSTS. */
export function setOutboundPolicy(policy: OutboundPolicy): void {
  current = { ...policy, ...(policy.allowedHosts ? { allowedHosts: [...policy.allowedHosts] } : {}) };
  const previous = shared;
  shared = undefined;
  // Requests already under way finish on the old dispatcher; it closes once they have.
  previous?.close().catch(() => undefined);
}

/** The policy outbound requests follow in this process. */
export function outboundPolicy(): OutboundPolicy {
  return current;
}

/** The shared dispatcher for outbound requests that are not the proxy's: pass it to undici's `request`. */
export function outboundDispatcher(): Dispatcher {
  shared ??= createOutboundDispatcher(current);
  return shared;
}

/** The policy refusal behind a failed request (undici may wrap the socket's error), if that is what it was. */
export function outboundRefusalOf(error: unknown): WeftError | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (isWeftError(e) && (e.code === 'WEFT_OUTBOUND_BLOCKED_ADDRESS' || e.code === 'WEFT_PROXY_BLOCKED_ADDRESS'))
      return e as WeftError;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
