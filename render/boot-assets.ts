/**
 * The RHCOS files a PXE install needs, for the lab's release: their names on the mirror, where to
 * download them, the sha256 the lab expects (when it gives one), and where they go on each PXE/HTTP
 * host. The PXE configs (./pxe.ts), the install runbook that fetches the files and the simulator
 * that serves them all read this one list. Pure.
 *
 * Mirror layout (https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/<minor>/<version>/):
 * - up to 4.2: `rhcos-<v>-<arch>-installer-kernel`, `…-installer-initramfs.img`,
 *   `…-metal-bios.raw.gz`, `…-metal-uefi.raw.gz`;
 * - 4.3 to 4.5: `rhcos-<v>-<arch>-installer-kernel-<arch>`, `…-installer-initramfs.<arch>.img`,
 *   `…-metal.<arch>.raw.gz`;
 * - 4.6 and later: `rhcos-<v>-<arch>-live-kernel-<arch>` (`…-live-kernel.<arch>` from 4.19),
 *   `…-live-initramfs.<arch>.img`, `…-live-rootfs.<arch>.img`;
 * where a build id (`46.82.202008181646-0`) names its files `rhcos-<build id>-…` without the first
 * `<arch>`. Every folder has a sha256sum.txt listing its files.
 */
import {
  bootAssetKinds,
  bootGeneration,
  isRhcosBuildId,
  liveKernelSuffix,
  rhcosMinor,
  splitMetalImages,
} from '../lab/release.js';
import type { BootAssetKind, BootGeneration } from '../lab/release.js';
import { hostsWith } from '../lab/schema.js';
import type { Lab } from '../lab/schema.js';

export type { BootAssetKind, BootGeneration } from '../lab/release.js';

export interface BootAssetPlacement {
  /** The PXE/HTTP host (lab `hosts[].name`). */
  host: string;
  /** Absolute path on that host. */
  target: string;
  /** For files served over HTTP: the URL nodes fetch it from. */
  url?: string;
}

export interface BootAsset {
  kind: BootAssetKind;
  /** File name on the mirror. */
  file: string;
  /** Where to download it. */
  source: string;
  /** From `cluster.rhcosSha256`; when absent, the mirror's sha256sum.txt (`BootAssets.checksums`) has it. */
  sha256?: string;
  /** Kernel and initramfs are loaded over TFTP; metal images and the live rootfs over HTTP. */
  servedBy: 'tftp' | 'http';
  /** Path under the host's `pxe.tftpRoot` or `pxe.httpRoot`. */
  path: string;
  placements: BootAssetPlacement[];
}

export interface BootAssets {
  generation: BootGeneration;
  rhcosVersion: string;
  architecture: Lab['cluster']['architecture'];
  /** The mirror folder, ending in `/`. */
  mirror: string;
  /** The mirror's checksum list (`sha256sum` format). */
  checksums: string;
  assets: BootAsset[];
}

/** The public mirror's folder of an RHCOS version (aarch64 has its own tree). */
export function publicRhcosMirror(cluster: Pick<Lab['cluster'], 'rhcosVersion' | 'architecture'>): string {
  const tree = cluster.architecture === 'x86_64' ? '' : `${cluster.architecture}/`;
  const version = cluster.rhcosVersion;
  return `https://mirror.openshift.com/pub/openshift-v4/${tree}dependencies/rhcos/${rhcosMinor(version)}/${version}/`;
}

/** Folder of kernel and initramfs under the TFTP root: one per version and architecture (the procedure's layout). */
export function tftpAssetFolder(cluster: Pick<Lab['cluster'], 'rhcosVersion' | 'architecture'>): string {
  return `installers/ocp4-rhcos-${cluster.rhcosVersion}/${cluster.architecture}`;
}

function mirrorFileNames(cluster: Lab['cluster']): Partial<Record<BootAssetKind, string>> {
  const { rhcosVersion: version, architecture: arch } = cluster;
  const prefix = isRhcosBuildId(version) ? `rhcos-${version}` : `rhcos-${version}-${arch}`;
  if (bootGeneration(cluster.version) === 'live') {
    return {
      kernel: `${prefix}-live-kernel${liveKernelSuffix(cluster.version, arch)}`,
      initramfs: `${prefix}-live-initramfs.${arch}.img`,
      rootfs: `${prefix}-live-rootfs.${arch}.img`,
    };
  }
  if (splitMetalImages(version)) {
    return {
      kernel: `${prefix}-installer-kernel`,
      initramfs: `${prefix}-installer-initramfs.img`,
      metalBios: `${prefix}-metal-bios.raw.gz`,
      metalUefi: `${prefix}-metal-uefi.raw.gz`,
    };
  }
  return {
    kernel: `${prefix}-installer-kernel-${arch}`,
    initramfs: `${prefix}-installer-initramfs.${arch}.img`,
    metal: `${prefix}-metal.${arch}.raw.gz`,
  };
}

/** Names of kernel and initramfs in the TFTP folder, as the procedure's PXE server has them. */
const tftpNames: Partial<Record<BootAssetKind, string>> = { kernel: 'linux', initramfs: 'initrd-raw' };

/**
 * Every RHCOS file the lab's nodes boot with, in boot order. Split metal images (4.2) are listed
 * only for the firmwares the lab's nodes use.
 */
export function bootAssetsFor(lab: Pick<Lab, 'cluster' | 'nodes' | 'hosts'>): BootAssets {
  const { cluster } = lab;
  const mirror = (cluster.rhcosMirror ?? publicRhcosMirror(cluster)).replace(/\/*$/, '/');
  const names = mirrorFileNames(cluster);
  const firmwares = new Set(lab.nodes.map((node) => node.boot));
  const kinds = bootAssetKinds(cluster.version, cluster.rhcosVersion).filter(
    (kind) => (kind !== 'metalBios' || firmwares.has('bios')) && (kind !== 'metalUefi' || firmwares.has('uefi')),
  );
  const pxeHosts = hostsWith(lab, 'pxe');
  const assets = kinds.map((kind): BootAsset => {
    const file = names[kind];
    if (file === undefined) throw new Error(`RHCOS ${cluster.rhcosVersion} has no ${kind} file name`);
    const tftpName = tftpNames[kind];
    const servedBy = tftpName === undefined ? 'http' : 'tftp';
    const path = tftpName === undefined ? file : `${tftpAssetFolder(cluster)}/${tftpName}`;
    const sha256 = cluster.rhcosSha256?.[kind];
    return {
      kind,
      file,
      source: `${mirror}${file}`,
      ...(sha256 === undefined ? {} : { sha256 }),
      servedBy,
      path,
      placements: pxeHosts.map((host) => {
        if (servedBy === 'tftp') return { host: host.name, target: `${trimSlash(host.pxe.tftpRoot)}/${path}` };
        return {
          host: host.name,
          target: `${trimSlash(host.pxe.httpRoot)}/${path}`,
          url: `${trimSlash(host.pxe.httpUrl)}/${path}`,
        };
      }),
    };
  });
  return {
    generation: bootGeneration(cluster.version),
    rhcosVersion: cluster.rhcosVersion,
    architecture: cluster.architecture,
    mirror,
    checksums: `${mirror}sha256sum.txt`,
    assets,
  };
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}
