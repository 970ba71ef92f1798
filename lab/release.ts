/**
 * OpenShift and RHCOS release numbers as the lab writes them, and what follows from them for booting
 * nodes. Pure, so workflow code and the lab rules may use it.
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

/** RHCOS 4.2 and older publish a BIOS and a UEFI metal image, with file names without the architecture suffix. */
export function splitMetalImages(rhcosVersion: string): boolean {
  const release = releaseOf(rhcosMinor(rhcosVersion));
  return release !== undefined && release.major === 4 && release.minor <= 2;
}
