/**
 * fast-check labs derived from the example: another node subnet of any prefix from /16 to /28, other
 * node counts, a BIOS/UEFI mix, and sometimes one domain for nodes and cluster. Addresses are laid
 * out from the start of the subnet so that every generated lab is valid (the tests check it is).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse } from 'yaml';
import { ipToNumber } from '../../lab/ip.js';
import { numberToIp } from '../../render/ipv4.js';
import { exampleLabPath } from './example.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface VariantShape {
  firstOctet: number;
  rest: number;
  prefix: number;
  infra: number;
  workers: number;
  uefi: boolean[];
  sameDomain: boolean;
}

export const variantShape: fc.Arbitrary<VariantShape> = fc.record({
  // Outside 10/8, where the example's PXE and hypervisor hosts live; not loopback or multicast.
  firstOctet: fc.integer({ min: 11, max: 223 }).filter((octet) => octet !== 127),
  rest: fc.integer({ min: 0, max: 2 ** 24 - 1 }),
  prefix: fc.integer({ min: 16, max: 28 }),
  infra: fc.integer({ min: 0, max: 3 }),
  workers: fc.integer({ min: 0, max: 4 }),
  uefi: fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
  sameDomain: fc.boolean(),
});

const example = parse(readFileSync(exampleLabPath, 'utf8')) as Json;

/** The lab input (as a YAML file would hold it) of a shape. */
export function variantLab(shape: VariantShape): Json {
  const lab = structuredClone(example);
  const size = 2 ** (32 - shape.prefix);
  const base = Math.floor((shape.firstOctet * 2 ** 24 + shape.rest) / size) * size;
  let next = 1;
  const take = () => numberToIp(base + next++);
  // gateway, 2 DNS, bootstrap + 3 masters, 2 HAProxy, 2 egress sources, 1 pool address, broadcast
  const spare = size - 14;
  const infra = Math.min(shape.infra, spare);
  const workers = Math.min(shape.workers, spare - infra);

  const gateway = take();
  const dns = [take(), take()];
  const roles = [
    ['bootstrap', 'bootstrap'],
    ['master1', 'master'],
    ['master2', 'master'],
    ['master3', 'master'],
    ...Array.from({ length: infra }, (_, i) => [`infra${i + 1}`, 'infra']),
    ...Array.from({ length: workers }, (_, i) => [`compute${i + 1}`, 'worker']),
  ];
  lab.nodes = roles.map(([name, role], index) => ({
    name,
    role,
    mac: `52:54:00:7a:00:${index.toString(16).padStart(2, '0')}`,
    ip: take(),
    installDisk: index % 2 === 0 ? 'vda' : 'sda',
    boot: shape.uefi[index] === true ? 'uefi' : 'bios',
  }));
  const hostAddress: Record<string, string> = {
    netserv1: dns[0] ?? '',
    netserv2: dns[1] ?? '',
    haproxy1: take(),
    haproxy2: take(),
  };
  lab.hosts = (lab.hosts as Json[]).map((host) =>
    hostAddress[host.name] === undefined ? host : { ...host, address: hostAddress[host.name] },
  );
  const egressSources = [take(), take()];
  const poolStart = take();
  const last = numberToIp(base + size - 2);
  lab.network = {
    ...lab.network,
    cidr: `${numberToIp(base)}/${shape.prefix}`,
    gateway,
    dnsServers: dns,
    dhcpRange: {
      start: poolStart,
      end: ipToNumber(last) - ipToNumber(poolStart) > 20 ? numberToIp(ipToNumber(poolStart) + 20) : last,
    },
  };
  if (shape.sameDomain) {
    lab.cluster.nodesDomain = 'intra.example.com';
    lab.network.searchDomains = ['intra.example.com'];
  }
  // A compact cluster runs its routers on the masters, which must then take workloads.
  if (infra + workers === 0) lab.cluster.mastersSchedulable = true;
  const selectorRole = infra > 0 ? 'infra' : workers > 0 ? 'worker' : 'master';
  lab.day2.egress.routers = (lab.day2.egress.routers as Json[]).map((router, index) => ({
    ...router,
    sourceIP: egressSources[index],
    gateway,
    nodeSelector: { [`node-role.kubernetes.io/${selectorRole}`]: '' },
  }));
  // The example's namespace egress IPs name its subnet and nodes: the variants leave them out.
  delete lab.day2.egress.egressIPs;
  if (infra === 0) delete lab.day2.infra;
  else lab.day2.infra = { moveRouters: true };
  return lab;
}
