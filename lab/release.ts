/**
 * The release rules, in one place: OpenShift and RHCOS release numbers as the lab writes them, and
 * what follows from a release (from its release notes): how nodes boot RHCOS from PXE and what the
 * files are called, the network plugins a new cluster may use, the Kubernetes minor it ships, and
 * the API features the runbooks may use against it. `validate`, `plan`, the runbooks and the
 * simulated lab all read these. Pure, so workflow code and the lab rules may use it.
 *
 * RHCOS versions come in two spellings: the release the mirror publishes (`4.2.0`, `4.6.1`) and the
 * build id (`42.80.20191002.0`, `46.82.202008181646-0`), whose first field is major and minor run
 * together (`46` is 4.6, `410` is 4.10).
 */

/** `4.6.1` → `{ major: 4, minor: 6 }`; undefined when the text is not `major.minor[.patch]`. */
export function releaseOf(version: string): { major: number; minor: number } | undefined {
  const match = /^(\d+)\.(\d+)(\.\d+)?$/.exec(version);
  return match === null ? undefined : { major: Number(match[1]), minor: Number(match[2]) };
}

/** A build id: `46.82.202008181646-0`, `42.80.20191002.0`. */
export const rhcosBuildId = /^(\d)(\d{1,2})\.\d+\.\d{8,}[.-]\d+$/;

export function isRhcosBuildId(version: string): boolean {
  return rhcosBuildId.test(version);
}

/** The OpenShift minor release an RHCOS version belongs to (`4.6`), for either spelling. */
export function rhcosMinor(version: string): string {
  const build = rhcosBuildId.exec(version);
  if (build !== null) return `${build[1]}.${Number(build[2])}`;
  return version.split('.').slice(0, 2).join('.');
}

/**
 * How nodes install RHCOS from PXE, decided by the OpenShift release:
 * - `installer` (4.2 to 4.5): the installer kernel and initramfs write the metal image
 *   (`coreos.inst.image_url`) to the disk;
 * - `live` (4.6 and later): the live kernel, initramfs and rootfs (`coreos.live.rootfs_url`) boot
 *   coreos-installer, which installs the image it carries.
 */
export type BootGeneration = 'installer' | 'live';

export function bootGeneration(openshiftVersion: string): BootGeneration {
  const release = releaseOf(openshiftVersion);
  if (release === undefined) throw new Error(`"${openshiftVersion}" is not an OpenShift version such as 4.6.1`);
  return release.major > 4 || (release.major === 4 && release.minor >= 6) ? 'live' : 'installer';
}

/** The first OpenShift release the runbooks install (the reference procedure's). */
export const oldestRelease = { major: 4, minor: 2 } as const;

function minorOf(openshiftVersion: string): number {
  const release = releaseOf(openshiftVersion);
  if (release === undefined) throw new Error(`"${openshiftVersion}" is not an OpenShift version such as 4.21.0`);
  return release.major > 4 ? Number.POSITIVE_INFINITY : release.minor;
}

/**
 * The Kubernetes minor an OpenShift release ships: 4.1 is 1.13, 4.2 is 1.14, and from 4.3 (1.16)
 * each OpenShift minor is the next Kubernetes minor (4.16 is 1.29, 4.21 is 1.34).
 */
export function kubernetesMinor(openshiftVersion: string): number {
  const minor = minorOf(openshiftVersion);
  return minor <= 2 ? minor + 12 : minor + 13;
}

/** The network plugins of `networking.networkType`. */
export type NetworkType = 'OpenShiftSDN' | 'OVNKubernetes';

/**
 * What the release notes say about OpenShift SDN on new clusters: the default plugin up to 4.11,
 * OVN-Kubernetes the default from 4.12, SDN deprecated in 4.14, no longer an install-time option
 * from 4.15, and removed from the product in 4.17.
 */
export const sdnReleases = { ovnDefaultFrom: 12, sdnNotInstallableFrom: 15, sdnRemovedIn: 17 } as const;

/** The plugin install-config gets when the lab names none: OVNKubernetes from 4.12, OpenShiftSDN before. */
export function defaultNetworkType(openshiftVersion: string): NetworkType {
  return minorOf(openshiftVersion) >= sdnReleases.ovnDefaultFrom ? 'OVNKubernetes' : 'OpenShiftSDN';
}

/** The plugins a new cluster of the release installs with. */
export function installableNetworkTypes(openshiftVersion: string): NetworkType[] {
  return minorOf(openshiftVersion) >= sdnReleases.sdnNotInstallableFrom
    ? ['OVNKubernetes']
    : ['OpenShiftSDN', 'OVNKubernetes'];
}

/** Why a new cluster of this release cannot use `networkType`, or undefined when it can. */
export function networkTypeProblem(openshiftVersion: string, networkType: string): string | undefined {
  if (installableNetworkTypes(openshiftVersion).includes(networkType as NetworkType)) return undefined;
  const minor = minorOf(openshiftVersion);
  const why =
    minor >= sdnReleases.sdnRemovedIn
      ? `OpenShift SDN was removed in 4.${sdnReleases.sdnRemovedIn}`
      : `OpenShift SDN is no longer an install-time option from 4.${sdnReleases.sdnNotInstallableFrom}`;
  return (
    `${networkType} cannot install OpenShift ${openshiftVersion}: ${why}; ` +
    `use networkType: OVNKubernetes (namespace egress IPs become EgressIP objects), ` +
    `or a release before 4.${sdnReleases.sdnNotInstallableFrom} for OpenShift SDN`
  );
}

/**
 * The API features the runbooks may use against a release: server-side apply is beta, on by
 * default, from Kubernetes 1.16 (OpenShift 4.3); before, objects are created, then merge-patched.
 */
export interface ApiFeatures {
  serverSideApply: boolean;
}

export function apiFeatures(openshiftVersion: string): ApiFeatures {
  return { serverSideApply: kubernetesMinor(openshiftVersion) >= 16 };
}

/** The RHCOS files a PXE install downloads, by what they are (the keys of `cluster.rhcosSha256`). */
export type BootAssetKind = 'kernel' | 'initramfs' | 'rootfs' | 'metal' | 'metalBios' | 'metalUefi';

/**
 * The files of a release: the live generation boots kernel, initramfs and rootfs; the installer
 * generation writes a metal image, one per firmware up to RHCOS 4.2, one for both from 4.3.
 */
export function bootAssetKinds(openshiftVersion: string, rhcosVersion: string): BootAssetKind[] {
  if (bootGeneration(openshiftVersion) === 'live') return ['kernel', 'initramfs', 'rootfs'];
  return splitMetalImages(rhcosVersion)
    ? ['kernel', 'initramfs', 'metalBios', 'metalUefi']
    : ['kernel', 'initramfs', 'metal'];
}

/**
 * Live kernels are named `…-live-kernel-<arch>` up to 4.18 and `…-live-kernel.<arch>` from 4.19,
 * as coreos-assembler names them since (the initramfs and rootfs names did not change).
 */
export function liveKernelSuffix(openshiftVersion: string, architecture: string): string {
  return minorOf(openshiftVersion) >= 19 ? `.${architecture}` : `-${architecture}`;
}

/** RHCOS 4.2 and older publish a BIOS and a UEFI metal image, with file names without the architecture suffix. */
export function splitMetalImages(rhcosVersion: string): boolean {
  const release = releaseOf(rhcosMinor(rhcosVersion));
  return release !== undefined && release.major === 4 && release.minor <= 2;
}

function atLeast(version: string, minor: number): boolean {
  return minorOf(version) >= minor;
}

/** The Ignition spec the openshift-install of a release writes: 2.2.0 up to 4.5, 3.1.0 in 4.6, 3.2.0 from 4.7. */
export function ignitionSpecWritten(openshiftVersion: string): string {
  if (!atLeast(openshiftVersion, 6)) return '2.2.0';
  return atLeast(openshiftVersion, 7) ? '3.2.0' : '3.1.0';
}

/**
 * The newest Ignition spec the Ignition of an RHCOS release reads (either spelling of its version);
 * it reads the older ones of the same major: 2.2.0 up to 4.5, 3.1.0 in 4.6, 3.2.0 from 4.7, 3.4.0 from 4.13.
 */
export function newestIgnitionSpecRead(rhcosVersion: string): string {
  const minor = rhcosMinor(rhcosVersion);
  if (!atLeast(minor, 6)) return '2.2.0';
  if (!atLeast(minor, 7)) return '3.1.0';
  return atLeast(minor, 13) ? '3.4.0' : '3.2.0';
}
