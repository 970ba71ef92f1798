/**
 * PXE boot files on the TFTP server. Each node boots its role unattended from a config named after
 * its MAC, the names PXELINUX and GRUB look up first (and that the simulated PXE server reads):
 * - BIOS: `<tftpRoot>/pxelinux.cfg/01-<mac with dashes>`;
 * - UEFI: `<tftpRoot>/grub.cfg-01-<mac with dashes>`.
 * Menus (`pxelinux.cfg/default` for BIOS nodes, `grub.cfg` for UEFI ones) list the nodes for manual
 * boots, defaulting to the local disk so a stray network boot never reinstalls a machine.
 * The kernel command line follows the OpenShift release (installer or live generation, see
 * bootEntry); the files it names are those of ./boot-assets.ts.
 */
import { hostsWith } from '../lab/schema.js';
import type { Host, Lab, Node } from '../lab/schema.js';
import { bootAssetsFor, type BootAssetKind, type BootAssets } from './boot-assets.js';
import { ignitionRole, RenderError } from './topology.js';
import { header, lines, macWithDashes } from './text.js';
import type { RenderedFile } from './types.js';

type PxeHost = Host & Required<Pick<Host, 'pxe'>>;

export interface BootEntry {
  title: string;
  /** Paths relative to the TFTP root. */
  kernel: string;
  initramfs: string;
  /** Kernel command line after the initramfs. */
  args: string;
}

/** `vda` → `/dev/vda`: coreos-installer (4.6 and later) takes a device path; a path stays as written. */
function devicePath(disk: string): string {
  return disk.startsWith('/') ? disk : `/dev/${disk}`;
}

/**
 * How a node installs RHCOS, by the release's boot generation (see ../lab/release.ts):
 * - installer (4.2 to 4.5): the installer writes the metal image of the node's firmware
 *   (`coreos.inst.image_url`) to `coreos.inst.install_dev`, then applies the role's ignition;
 * - live (4.6 and later): the live system fetches its rootfs (`coreos.live.rootfs_url`) and runs
 *   coreos-installer onto `coreos.inst.install_dev` with the role's ignition.
 */
export function bootEntry(lab: Lab, host: PxeHost, node: Node, boot: BootAssets = bootAssetsFor(lab)): BootEntry {
  const url = host.pxe.httpUrl.replace(/\/+$/, '');
  const ignition = ignitionRole(node);
  const path = (kind: BootAssetKind): string => {
    const asset = boot.assets.find((candidate) => candidate.kind === kind);
    if (asset === undefined) throw new RenderError(`RHCOS ${boot.rhcosVersion} has no ${kind} file for ${node.name}`);
    return asset.path;
  };
  const args =
    boot.generation === 'live'
      ? [
          `coreos.live.rootfs_url=${url}/${path('rootfs')}`,
          `coreos.inst.install_dev=${devicePath(node.installDisk)}`,
          `coreos.inst.ignition_url=${url}/${ignition}.ign`,
        ]
      : [
          'ip=dhcp',
          'rd.neednet=1',
          'coreos.inst=yes',
          `coreos.inst.install_dev=${node.installDisk}`,
          `coreos.inst.image_url=${url}/${path(metalImage(boot, node))}`,
          `coreos.inst.ignition_url=${url}/${ignition}.ign`,
        ];
  return {
    title: `${node.name}: install RHCOS ${lab.cluster.rhcosVersion} ${lab.cluster.architecture} as ${ignition}`,
    kernel: path('kernel'),
    initramfs: path('initramfs'),
    args: args.join(' '),
  };
}

/** The metal image an installer-generation node writes: its firmware's (4.2) or the one of both. */
function metalImage(boot: BootAssets, node: Node): BootAssetKind {
  if (boot.assets.some((asset) => asset.kind === 'metal')) return 'metal';
  return node.boot === 'uefi' ? 'metalUefi' : 'metalBios';
}

function pxelinuxLabel(label: string, entry: BootEntry): string[] {
  return [
    `LABEL ${label}`,
    `    MENU LABEL ${entry.title}`,
    `    KERNEL ${entry.kernel}`,
    `    APPEND initrd=${entry.initramfs} ${entry.args}`,
  ];
}

/** GRUB on x86_64 UEFI loads the kernel with linuxefi/initrdefi; on aarch64 the plain commands are the EFI ones. */
function grubEntry(lab: Lab, entry: BootEntry): string[] {
  const efi = lab.cluster.architecture === 'x86_64' ? 'efi' : '';
  return [
    `menuentry '${entry.title}' {`,
    `    linux${efi} /${entry.kernel} ${entry.args}`,
    `    initrd${efi} /${entry.initramfs}`,
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
    grubEntry(lab, bootEntry(lab, host, node)),
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
    ...nodesBooting(lab, 'uefi').flatMap((node) => ['', ...grubEntry(lab, bootEntry(lab, host, node))]),
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
