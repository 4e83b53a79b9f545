import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { proxyErrors } from './errors.js';

/** Which destinations the proxy may reach. Public internet only, unless widened explicitly. */
export interface OutboundPolicy {
  /** Reach private, loopback and link-local addresses too (tests, on-premise APIs). @default false */
  allowPrivateNetwork?: boolean;
  /** Hosts (exact names or IP addresses) or CIDR ranges allowed even when private. */
  allowedHosts?: string[];
}

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
        if (ip.kind() === range.kind() && ip.match([range, bits] as [ipaddr.IPv4 | ipaddr.IPv6, number])) return true;
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

/** Check a URL's host when it is an IP literal (sockets skip DNS lookup for those). */
export function assertAllowedLiteral(policy: OutboundPolicy, url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(host)) return;
  const reason = blockedReason(policy, host, host);
  if (reason !== null) throw proxyErrors.create('WEFT_PROXY_BLOCKED_ADDRESS', { host, reason });
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` replacement for the HTTP agent: it resolves, then refuses blocked addresses at
 * connect time — so DNS rebinding between a check and the connect cannot slip through.
 */
export function guardedLookup(policy: OutboundPolicy) {
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
          callback(
            proxyErrors.create('WEFT_PROXY_BLOCKED_ADDRESS', {
              host: hostname,
              reason,
            }) as unknown as NodeJS.ErrnoException,
            [],
          );
          return;
        }
      }
      if (options.all) callback(null, list);
      else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4);
    });
  };
}
