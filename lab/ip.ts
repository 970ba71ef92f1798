/**
 * IPv4 arithmetic the lab rules need, on top of ipaddr.js. Pure (no Node built-ins), so workflow
 * code may call it too. Every function takes addresses as strings already checked by the schema.
 */
import ipaddr from 'ipaddr.js';

/** A parsed IPv4 network: its first and last address as integers and its prefix length. */
export interface Network {
  readonly cidr: string;
  readonly prefix: number;
  readonly first: number;
  readonly last: number;
}

/** The address as an unsigned 32-bit integer, for ordering and ranges. */
export function ipToNumber(ip: string): number {
  return ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((value, octet) => value * 256 + octet, 0);
}

/** Parses `10.42.253.0/24`; host bits, if any, are ignored (see `networkAddress`). */
export function parseNetwork(cidr: string): Network {
  const [, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  return {
    cidr,
    prefix,
    first: ipToNumber(ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()),
    last: ipToNumber(ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString()),
  };
}

/** The canonical form of a CIDR (`10.42.253.7/24` → `10.42.253.0/24`). */
export function networkAddress(cidr: string): string {
  const [, prefix] = ipaddr.IPv4.parseCIDR(cidr);
  return `${ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()}/${prefix}`;
}

export function contains(network: Network, ip: string): boolean {
  const value = ipToNumber(ip);
  return value >= network.first && value <= network.last;
}

/**
 * Whether a host may use the address: inside the network and, on networks of /30 or larger, not the
 * network or broadcast address (/31 point-to-point links and /32 use every address, RFC 3021).
 */
export function isHostAddress(network: Network, ip: string): boolean {
  if (!contains(network, ip)) return false;
  if (network.prefix >= 31) return true;
  const value = ipToNumber(ip);
  return value !== network.first && value !== network.last;
}

export function overlaps(a: Network, b: Network): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Whether `ip` lies in the inclusive range `start`..`end`. */
export function inRange(ip: string, start: string, end: string): boolean {
  const value = ipToNumber(ip);
  return value >= ipToNumber(start) && value <= ipToNumber(end);
}
