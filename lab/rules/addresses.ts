/** Rules on the node subnet, the cluster networks and every static address in the lab. */
import type { LabDraft } from '../draft.js';
import type { PathSegment } from '../issues.js';
import {
  contains,
  inRange,
  ipToNumber,
  isHostAddress,
  networkAddress,
  overlaps,
  parseNetwork,
  type Network,
} from '../ip.js';
import { describe, hostsOf, listOf, nodesOf, subnetOf, type Rule } from './context.js';

/** A static address somebody in the lab uses. */
export interface AddressClaim {
  readonly path: readonly PathSegment[];
  readonly ip: string;
  /** How a message names the user: `nodes[7] (compute1)`, `the gateway (network.gateway)`. */
  readonly owner: string;
}

/** Services whose hosts must sit on the node subnet: nodes reach them without a router. */
const onSubnetServices = ['dns', 'dhcp', 'haproxy'] as const;

/** The gateway, then every node, then every helper host, in file order. */
export function addressClaims(lab: LabDraft): AddressClaim[] {
  const claims: AddressClaim[] = [];
  if (lab.network?.gateway !== undefined) {
    claims.push({ path: ['network', 'gateway'], ip: lab.network.gateway, owner: 'the gateway (network.gateway)' });
  }
  for (const node of nodesOf(lab)) {
    if (node.item.ip !== undefined)
      claims.push({ path: ['nodes', node.index, 'ip'], ip: node.item.ip, owner: describe('nodes', node) });
  }
  for (const host of hostsOf(lab)) {
    if (host.item.address !== undefined) {
      claims.push({ path: ['hosts', host.index, 'address'], ip: host.item.address, owner: describe('hosts', host) });
    }
  }
  return claims;
}

const canonicalNetworks: Rule = ({ lab, report }) => {
  const networks: Array<[readonly PathSegment[], string | undefined]> = [
    [['network', 'cidr'], lab.network?.cidr],
    [['cluster', 'clusterNetwork', 'cidr'], lab.cluster?.clusterNetwork?.cidr],
    [['cluster', 'serviceNetwork'], lab.cluster?.serviceNetwork],
  ];
  for (const [path, cidr] of networks) {
    if (cidr !== undefined && networkAddress(cidr) !== cidr) {
      report(path, `${cidr} has host bits set; write the network address: ${networkAddress(cidr)}`);
    }
  }
};

const networksDoNotOverlap: Rule = ({ lab, report }) => {
  const named: Array<{ path: readonly PathSegment[]; label: string; network: Network }> = [];
  const add = (path: readonly PathSegment[], label: string, cidr: string | undefined) => {
    if (cidr !== undefined) named.push({ path, label, network: parseNetwork(cidr) });
  };
  add(['network', 'cidr'], 'the node subnet (network.cidr)', lab.network?.cidr);
  add(
    ['cluster', 'clusterNetwork', 'cidr'],
    'the pod network (cluster.clusterNetwork.cidr)',
    lab.cluster?.clusterNetwork?.cidr,
  );
  add(['cluster', 'serviceNetwork'], 'the service network (cluster.serviceNetwork)', lab.cluster?.serviceNetwork);
  named.forEach((later, index) => {
    for (const earlier of named.slice(0, index)) {
      if (overlaps(earlier.network, later.network)) {
        report(
          later.path,
          `${later.network.cidr} overlaps ${earlier.label} ${earlier.network.cidr}; pods, services and nodes ` +
            `need disjoint networks, pick another range`,
        );
      }
    }
  });
};

const clusterNetworkFitsNodes: Rule = ({ lab, report }) => {
  const clusterNetwork = lab.cluster?.clusterNetwork;
  if (clusterNetwork?.cidr === undefined || clusterNetwork.hostPrefix === undefined) return;
  const { prefix } = parseNetwork(clusterNetwork.cidr);
  if (clusterNetwork.hostPrefix <= prefix) {
    report(
      ['cluster', 'clusterNetwork', 'hostPrefix'],
      `/${clusterNetwork.hostPrefix} is not smaller than the pod network /${prefix}; each node gets a ` +
        `/hostPrefix slice of it, so use a larger number (e.g. 23 for a /14)`,
    );
    return;
  }
  const slices = 2 ** (clusterNetwork.hostPrefix - prefix);
  const joining = nodesOf(lab).filter((node) => node.item.role !== 'bootstrap').length;
  if (slices < joining) {
    report(
      ['cluster', 'clusterNetwork', 'hostPrefix'],
      `a ${clusterNetwork.cidr} pod network cut into /${clusterNetwork.hostPrefix} slices serves ${slices} ` +
        `nodes but the lab has ${joining}; lower hostPrefix or widen the network`,
    );
  }
};

const subnetParameters: Rule = ({ lab, report }) => {
  const subnet = subnetOf(lab);
  const network = lab.network;
  if (subnet === undefined || network === undefined) return;
  const mustBeHost = (path: readonly PathSegment[], ip: string | undefined, what: string) => {
    if (ip !== undefined && !isHostAddress(subnet, ip))
      report(path, `${ip} is not a usable address of the node subnet ${subnet.cidr}; ${what}`);
  };
  mustBeHost(['network', 'gateway'], network.gateway, 'the gateway must be on the subnet the nodes are on');
  network.dnsServers?.forEach((ip, index) =>
    mustBeHost(
      ['network', 'dnsServers', index],
      ip,
      'nodes must reach their DNS servers without a router; list the DNS hosts on the subnet',
    ),
  );
  const range = network.dhcpRange;
  mustBeHost(['network', 'dhcpRange', 'start'], range?.start, 'the DHCP pool must lie inside the subnet');
  mustBeHost(['network', 'dhcpRange', 'end'], range?.end, 'the DHCP pool must lie inside the subnet');
  if (range?.start !== undefined && range.end !== undefined && ipToNumber(range.start) > ipToNumber(range.end)) {
    report(['network', 'dhcpRange'], `start ${range.start} comes after end ${range.end}; swap them`);
  }
};

const addressesOnSubnet: Rule = ({ lab, report }) => {
  const subnet = subnetOf(lab);
  if (subnet === undefined) return;
  for (const node of nodesOf(lab)) {
    const ip = node.item.ip;
    if (ip !== undefined && !isHostAddress(subnet, ip)) {
      report(
        ['nodes', node.index, 'ip'],
        `${ip} is not a usable address of the node subnet ${subnet.cidr} (network.cidr); give the node an address inside it`,
      );
    }
  }
  for (const host of hostsOf(lab)) {
    const { address } = host.item;
    const services = onSubnetServices.filter((service) => host.item[service] !== undefined);
    if (address !== undefined && services.length > 0 && !isHostAddress(subnet, address)) {
      report(
        ['hosts', host.index, 'address'],
        `${address} is outside the node subnet ${subnet.cidr}, but the host serves ${listOf(services)}, ` +
          `which the nodes must reach directly; give it an address on the subnet`,
      );
    }
  }
};

const uniqueAddresses: Rule = ({ lab, report }) => {
  const first = new Map<string, AddressClaim>();
  for (const claim of addressClaims(lab)) {
    const owner = first.get(claim.ip);
    if (owner === undefined) first.set(claim.ip, claim);
    else
      report(
        claim.path,
        `${claim.ip} is already the address of ${owner.owner}; every node and host needs its own address`,
      );
  }
};

const staticAddressesOutsideDhcpRange: Rule = ({ lab, report }) => {
  const range = lab.network?.dhcpRange;
  const subnet = subnetOf(lab);
  if (range?.start === undefined || range.end === undefined || subnet === undefined) return;
  for (const claim of addressClaims(lab)) {
    if (contains(subnet, claim.ip) && inRange(claim.ip, range.start, range.end)) {
      report(
        claim.path,
        `${claim.ip} is static but inside the DHCP dynamic range ${range.start}-${range.end} ` +
          `(network.dhcpRange), so the DHCP server may lease it to another machine; move the range clear of the static addresses`,
      );
    }
  }
};

const dnsServersAreLabDns: Rule = ({ lab, report }) => {
  const addresses = addressesOfHostsWith(lab, 'dns');
  if (addresses.length === 0) return;
  lab.network?.dnsServers?.forEach((ip, index) => {
    if (ip !== undefined && !addresses.includes(ip)) {
      report(
        ['network', 'dnsServers', index],
        `${ip} is not the address of a host with a dns block, so it does not serve the cluster's zones; list ` +
          `the lab's DNS hosts (${listOf(addresses)}) or describe this server under hosts`,
      );
    }
  });
};

function addressesOfHostsWith(lab: LabDraft, service: 'dns' | 'pxe'): string[] {
  return hostsOf(lab).flatMap(({ item }) =>
    item[service] !== undefined && item.address !== undefined ? [item.address] : [],
  );
}

const nextServerIsPxeHost: Rule = ({ lab, report }) => {
  const nextServer = lab.network?.nextServer;
  const addresses = addressesOfHostsWith(lab, 'pxe');
  if (nextServer === undefined || addresses.length === 0) return;
  if (!addresses.includes(nextServer)) {
    report(
      ['network', 'nextServer'],
      `${nextServer} is not the address of a host with a pxe block, so PXE clients would ask the wrong TFTP ` +
        `server; set it to ${listOf(addresses)}`,
    );
  }
};

export const addressRules: readonly Rule[] = [
  canonicalNetworks,
  networksDoNotOverlap,
  clusterNetworkFitsNodes,
  subnetParameters,
  addressesOnSubnet,
  uniqueAddresses,
  staticAddressesOutsideDhcpRange,
  dnsServersAreLabDns,
  nextServerIsPxeHost,
];
