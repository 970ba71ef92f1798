/**
 * isc-dhcp-server: the node subnet with its PXE options, and one static lease per node under the
 * node's own name (the name DNS publishes), so every node gets its address and boot file.
 */
import { hostsWith, nodeFqdn } from '../lab/schema.js';
import type { Lab, Node } from '../lab/schema.js';
import { parseNetwork } from '../lab/ip.js';
import { netmask, numberToIp } from './ipv4.js';
import { searchDomains } from './topology.js';
import { header, lines } from './text.js';
import type { RenderedFile } from './types.js';

/** Lease times of the dynamic pool (static leases keep their address regardless). */
const leaseSeconds = { default: 3600, max: 7200 } as const;

/**
 * Boot files by client architecture (DHCP option 93, RFC 4578): UEFI clients load GRUB, which
 * reads `grub.cfg-01-<mac>`; legacy BIOS clients load PXELINUX, which reads `pxelinux.cfg/01-<mac>`.
 */
export const bootFiles = {
  bios: 'pxelinux.0',
  x86_64: { archCodes: ['00:07', '00:09'], file: 'grubx64.efi' },
  aarch64: { archCodes: ['00:0b'], file: 'grubaa64.efi' },
} as const;

function hostBlock(lab: Lab, node: Node): string[] {
  return [
    `host ${node.name} {`,
    `    hardware ethernet ${node.mac};`,
    `    fixed-address ${node.ip};`,
    `    option host-name "${nodeFqdn(lab, node)}";`,
    '}',
  ];
}

export function dhcpdConfText(lab: Lab): string {
  const subnet = parseNetwork(lab.network.cidr);
  const uefi = bootFiles[lab.cluster.architecture];
  const uefiTest = uefi.archCodes.map((code) => `option arch = ${code}`).join(' or ');
  return lines(
    header(lab, '#', `DHCP for the nodes of ${lab.network.cidr}`).trimEnd(),
    'authoritative;',
    'ddns-update-style none;',
    `default-lease-time ${leaseSeconds.default};`,
    `max-lease-time ${leaseSeconds.max};`,
    '# Client system architecture, sent by PXE firmware (RFC 4578).',
    'option arch code 93 = unsigned integer 16;',
    '',
    `subnet ${numberToIp(subnet.first)} netmask ${netmask(subnet)} {`,
    `    option routers ${lab.network.gateway};`,
    `    option domain-name-servers ${lab.network.dnsServers.join(', ')};`,
    `    option domain-name "${lab.cluster.nodesDomain}";`,
    `    option domain-search ${searchDomains(lab)
      .map((domain) => `"${domain}"`)
      .join(', ')};`,
    `    range ${lab.network.dhcpRange.start} ${lab.network.dhcpRange.end};`,
    `    next-server ${lab.network.nextServer};`,
    `    if ${uefiTest} {`,
    `        filename "${uefi.file}";`,
    '    } else {',
    `        filename "${bootFiles.bios}";`,
    '    }',
    '}',
    '',
    '# Static leases: one per node, named as in DNS.',
    lab.nodes.flatMap((node) => hostBlock(lab, node)),
  );
}

export function renderDhcp(lab: Lab): RenderedFile[] {
  const content = dhcpdConfText(lab);
  return hostsWith(lab, 'dhcp').map((host) => ({
    path: `dhcp/${host.name}/dhcpd.conf`,
    content,
    artifact: 'dhcp.config',
    host: host.name,
    target: host.dhcp.configPath,
  }));
}
