/**
 * IPv4 arithmetic the renderers need beyond lab/ip.ts: dotted masks for dhcpd, and the reverse
 * (in-addr.arpa) zones that cover a subnet of any prefix length.
 */
import type { Network } from '../lab/ip.js';

export function numberToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function blockOf(first: number, prefix: number): Network {
  const last = first + 2 ** (32 - prefix) - 1;
  return { cidr: `${numberToIp(first)}/${prefix}`, prefix, first, last };
}

/** `255.255.254.0` for a /23. */
export function netmask(network: Network): string {
  return numberToIp(2 ** 32 - 2 ** (32 - network.prefix));
}

/** A reverse zone and the octet-aligned block of addresses its name covers. */
export interface ReverseZone {
  /** Zone name without trailing dot, e.g. `253.42.10.in-addr.arpa`. */
  name: string;
  /** The /8, /16 or /24 block of the zone name. */
  block: Network;
}

/**
 * The reverse zones for a subnet. Zone names can only cut at octet boundaries, so:
 * - a /8, /16 or /24 is one zone;
 * - a prefix between boundaries (/17../23, /9../15, /1../7) is split into the zones of the next
 *   boundary (a /23 gives two /24 zones, a /20 sixteen), every one of them the lab's;
 * - a /25../32 uses the enclosing /24 zone holding only the subnet's PTR records. That is right when
 *   the lab's DNS servers are authoritative for that /24; when the /24 belongs to someone else, its
 *   owner must delegate the subnet to them (RFC 2317 CNAMEs), which is outside what a lab renders.
 */
export function reverseZones(subnet: Network): ReverseZone[] {
  const zoneBits = subnet.prefix === 0 ? 8 : Math.min(24, Math.ceil(subnet.prefix / 8) * 8);
  const blockSize = 2 ** (32 - zoneBits);
  const first = Math.floor(subnet.first / blockSize) * blockSize;
  const count = Math.max(1, (subnet.last - subnet.first + 1) / blockSize);
  return Array.from({ length: count }, (_, index) => {
    const block = blockOf(first + index * blockSize, zoneBits);
    const octets = numberToIp(block.first)
      .split('.')
      .slice(0, zoneBits / 8);
    return { name: `${octets.reverse().join('.')}.in-addr.arpa`, block };
  });
}

/** Owner name of an address's PTR record, relative to its reverse zone (`9`, or `9.253` in a /16 zone). */
export function ptrOwner(zone: ReverseZone, ip: string): string {
  return ip
    .split('.')
    .slice(zone.block.prefix / 8)
    .reverse()
    .join('.');
}
