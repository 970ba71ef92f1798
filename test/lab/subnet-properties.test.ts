/**
 * Property tests of the address rules: for a node subnet of any prefix length, validation accepts
 * every usable address inside it and rejects every address outside it. The expected answer is
 * computed here with plain arithmetic, independently of lab/ip.ts.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateLab } from '../../lab/load.js';
import { exampleLab } from './paths.js';
import type { JsonObject } from '../support/json.js';

const example = parse(readFileSync(exampleLab, 'utf8')) as JsonObject;

const toIp = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');

/** The example lab moved onto `first/prefix`: helpers, nodes, pool and egress at fixed offsets. */
function labOnSubnet(first: number, prefix: number): JsonObject {
  const lab = structuredClone(example);
  const at = (offset: number) => toIp(first + offset);
  lab.network = {
    ...lab.network,
    cidr: `${toIp(first)}/${prefix}`,
    gateway: at(1),
    dnsServers: [at(3), at(5)],
    dhcpRange: { start: at(100), end: at(110) },
  };
  lab.hosts[0].address = at(3);
  lab.hosts[1].address = at(5);
  lab.hosts[3].address = at(50);
  lab.hosts[4].address = at(51);
  lab.nodes.forEach((node: Record<string, unknown>, index: number) => (node.ip = at(10 + index)));
  lab.day2.egress.routers.forEach((router: Record<string, unknown>, index: number) => {
    router.sourceIP = at(60 + index);
    router.gateway = at(1);
  });
  lab.day2.egress.egressIPs.forEach((entry: { ips: Array<Record<string, unknown>> }, index: number) =>
    entry.ips.forEach((address, slot) => (address.ip = at(70 + 2 * index + slot))),
  );
  return lab;
}

/** The example's pod and service networks (10.128.0.0/14, 172.30.0.0/16), which the node subnet must not overlap. */
const clusterRanges = [
  [0x0a800000, 0x0a83ffff],
  [0xac1e0000, 0xac1effff],
] as const;

/** A subnet of /8 to /25 (room for the example), anywhere in 1.0.0.0-223.255.255.255, clear of the cluster's networks. */
const subnets = fc
  .record({ prefix: fc.integer({ min: 8, max: 25 }), seed: fc.integer({ min: 0x01000000, max: 0xdfffffff }) })
  .map(({ prefix, seed }) => {
    const size = 2 ** (32 - prefix);
    const first = Math.floor(seed / size) * size;
    return { prefix, first, last: first + size - 1 };
  })
  .filter(({ first, last }) => clusterRanges.every(([start, end]) => last < start || first > end));

const notUsable = /is not a usable address of the node subnet/;

describe('node addresses against the subnet', () => {
  it('the example moved onto any subnet validates clean', () => {
    fc.assert(
      fc.property(subnets, ({ first, prefix }) => {
        const result = validateLab(labOnSubnet(first, prefix));
        expect(result.ok ? [] : result.issues).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('accepts any usable address inside the subnet and rejects any outside', () => {
    fc.assert(
      fc.property(subnets, fc.integer({ min: 0, max: 0xffffffff }), ({ first, last, prefix }, candidate) => {
        const lab = labOnSubnet(first, prefix);
        lab.nodes[7].ip = toIp(candidate);
        const result = validateLab(lab);
        const rejected =
          !result.ok && result.issues.some((issue) => issue.path === 'nodes[7].ip' && notUsable.test(issue.message));
        const usable = candidate > first && candidate < last; // network and broadcast addresses excluded
        expect(rejected).toBe(!usable);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects the network and broadcast addresses of any subnet', () => {
    fc.assert(
      fc.property(subnets, fc.boolean(), ({ first, last, prefix }, broadcast) => {
        const lab = labOnSubnet(first, prefix);
        lab.nodes[0].ip = toIp(broadcast ? last : first);
        const result = validateLab(lab);
        expect(
          !result.ok && result.issues.some((issue) => issue.path === 'nodes[0].ip' && notUsable.test(issue.message)),
        ).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
