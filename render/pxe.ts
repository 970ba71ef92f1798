/**
 * PXE boot files on the TFTP server. Each node boots its role unattended from a config named after
 * its MAC, the names PXELINUX and GRUB look up first (and that the simulated PXE server reads):
 * - BIOS: `<tftpRoot>/pxelinux.cfg/01-<mac with dashes>`;
 * - UEFI: `<tftpRoot>/grub.cfg-01-<mac with dashes>`.
 * Menus (`pxelinux.cfg/default` for BIOS nodes, `grub.cfg` for UEFI ones) list the nodes for manual
 * boots, defaulting to the local disk so a stray network boot never reinstalls a machine.
 */
import { hostsWith } from '../lab/schema.js';
import type { Host, Lab, Node } from '../lab/schema.js';
import { ignitionRole } from './topology.js';
import { header, lines, macWithDashes } from './text.js';
import type { RenderedFile } from './types.js';

type PxeHost = Host & Required<Pick<Host, 'pxe'>>;

/**
 * Where the RHCOS boot assets live: kernel and initramfs under the TFTP root, metal images under
 * the HTTP root, and where to download them (the 4.2 mirror layout the reference procedure uses).
 */
export function rhcosAssets(lab: Lab) {
  const { rhcosVersion: version, architecture: arch } = lab.cluster;
  const folder = `installers/ocp4-rhcos-${version}/${arch}`;
  const mirror = `https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/${version.split('.').slice(0, 2).join('.')}/${version}`;
  return {
    /** Relative to the TFTP root. */
    kernel: `${folder}/linux`,
    initramfs: `${folder}/initrd-raw`,
    /** Relative to the HTTP root / URL. */
    metalImage: {
      bios: `rhcos-${version}-${arch}-metal-bios.raw.gz`,
      uefi: `rhcos-${version}-${arch}-metal-uefi.raw.gz`,
    },
    downloads: {
      kernel: `${mirror}/rhcos-${version}-${arch}-installer-kernel`,
      initramfs: `${mirror}/rhcos-${version}-${arch}-installer-initramfs.img`,
      metalBios: `${mirror}/rhcos-${version}-${arch}-metal-bios.raw.gz`,
      metalUefi: `${mirror}/rhcos-${version}-${arch}-metal-uefi.raw.gz`,
    },
  } as const;
}

export interface BootEntry {
  title: string;
  /** Paths relative to the TFTP root. */
  kernel: string;
  initramfs: string;
  /** Kernel command line after the initramfs. */
  args: string;
}

/** How a node installs RHCOS: its disk, its firmware's metal image, its role's ignition. */
export function bootEntry(lab: Lab, host: PxeHost, node: Node): BootEntry {
  const assets = rhcosAssets(lab);
  const url = host.pxe.httpUrl.replace(/\/+$/, '');
  const ignition = ignitionRole(node);
  return {
    title: `${node.name}: install RHCOS ${lab.cluster.rhcosVersion} ${lab.cluster.architecture} as ${ignition}`,
    kernel: assets.kernel,
    initramfs: assets.initramfs,
    args: [
      'ip=dhcp',
      'rd.neednet=1',
      'coreos.inst=yes',
      `coreos.inst.install_dev=${node.installDisk}`,
      `coreos.inst.image_url=${url}/${assets.metalImage[node.boot]}`,
      `coreos.inst.ignition_url=${url}/${ignition}.ign`,
    ].join(' '),
  };
}

function pxelinuxLabel(label: string, entry: BootEntry): string[] {
  return [
    `LABEL ${label}`,
    `    MENU LABEL ${entry.title}`,
    `    KERNEL ${entry.kernel}`,
    `    APPEND initrd=${entry.initramfs} ${entry.args}`,
  ];
}

function grubEntry(entry: BootEntry): string[] {
  return [
    `menuentry '${entry.title}' {`,
    `    linuxefi /${entry.kernel} ${entry.args}`,
    `    initrdefi /${entry.initramfs}`,
    '}',
  ];
}

export function pxelinuxConfigText(lab: Lab, host: PxeHost, node: Node): string {
  return lines(
    header(lab, '#', `PXELINUX config of ${node.name} (${node.mac})`).trimEnd(),
    'DEFAULT install',
    'PROMPT 0',
    'TIMEOUT 10',
    '',
    pxelinuxLabel('install', bootEntry(lab, host, node)),
  );
}

export function grubConfigText(lab: Lab, host: PxeHost, node: Node): string {
  return lines(
    header(lab, '#', `GRUB config of ${node.name} (${node.mac})`).trimEnd(),
    'set default=0',
    'set timeout=1',
    '',
    grubEntry(bootEntry(lab, host, node)),
  );
}

/** A menu lists the nodes whose firmware loads it: PXELINUX for BIOS nodes, GRUB for UEFI ones. */
function nodesBooting(lab: Lab, firmware: Node['boot']): Node[] {
  return lab.nodes.filter((node) => node.boot === firmware);
}

export function pxelinuxMenuText(lab: Lab, host: PxeHost): string {
  return lines(
    header(lab, '#', 'PXELINUX menu for manual boots').trimEnd(),
    'UI menu.c32',
    'PROMPT 0',
    'TIMEOUT 100',
    'DEFAULT local',
    `MENU TITLE OCP4 RH-CoreOS ${lab.cluster.rhcosVersion} ${lab.cluster.architecture} Systems`,
    '',
    'LABEL local',
    '    MENU LABEL Boot from local disk',
    '    LOCALBOOT 0',
    ...nodesBooting(lab, 'bios').flatMap((node) => ['', ...pxelinuxLabel(node.name, bootEntry(lab, host, node))]),
  );
}

export function grubMenuText(lab: Lab, host: PxeHost): string {
  return lines(
    header(lab, '#', 'GRUB menu for manual boots').trimEnd(),
    'set default=0',
    'set timeout=10',
    '',
    "menuentry 'Boot from local disk' {",
    '    exit',
    '}',
    ...nodesBooting(lab, 'uefi').flatMap((node) => ['', ...grubEntry(bootEntry(lab, host, node))]),
  );
}

/** Per-MAC config file of a node, relative to the TFTP root. */
export function pxeConfigPath(node: Pick<Node, 'mac' | 'boot'>): string {
  const mac = macWithDashes(node.mac);
  return node.boot === 'uefi' ? `grub.cfg-01-${mac}` : `pxelinux.cfg/01-${mac}`;
}

export function renderPxe(lab: Lab): RenderedFile[] {
  return hostsWith(lab, 'pxe').flatMap((host) => {
    const root = host.pxe.tftpRoot.replace(/\/+$/, '');
    const file = (relative: string, artifact: string, content: string): RenderedFile => ({
      path: `pxe/${host.name}/${relative}`,
      content,
      artifact,
      host: host.name,
      target: `${root}/${relative}`,
    });
    return [
      ...lab.nodes.map((node) =>
        node.boot === 'uefi'
          ? file(pxeConfigPath(node), 'pxe.uefi', grubConfigText(lab, host, node))
          : file(pxeConfigPath(node), 'pxe.bios', pxelinuxConfigText(lab, host, node)),
      ),
      file('pxelinux.cfg/default', 'pxe.menu', pxelinuxMenuText(lab, host)),
      file('grub.cfg', 'pxe.grub-menu', grubMenuText(lab, host)),
    ];
  });
}
