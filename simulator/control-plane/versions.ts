/**
 * Which real Kubernetes a lab's release rehearses on. Each OpenShift 4 minor ships one Kubernetes
 * minor (the release notes: "OpenShift Container Platform 4.16 uses Kubernetes 1.29"). The lab uses
 * the build of that minor when this repository has one (simulator/control-plane/build/); a minor
 * without a build rehearses on the oldest one built, and says so in one line.
 */
import { BUILT_KUBE_VERSIONS, type KubeVersion } from './binaries.js';

/** OpenShift 4.y → Kubernetes 1.x, from the OpenShift release notes (4.3 skipped Kubernetes 1.15). */
export const KUBE_MINOR_OF_OPENSHIFT: Readonly<Record<number, number>> = {
  1: 13,
  2: 14,
  3: 16,
  4: 17,
  5: 18,
  6: 19,
  7: 20,
  8: 21,
  9: 22,
  10: 23,
  11: 24,
  12: 25,
  13: 26,
  14: 27,
  15: 28,
  16: 29,
  17: 30,
  18: 31,
  19: 32,
  20: 33,
  21: 34,
};

export interface ControlPlaneChoice {
  /** The Kubernetes minor the release ships (`1.29`), or undefined for a release the map does not know. */
  shipped?: string;
  /** The build the lab runs. */
  version: KubeVersion;
  /** One line for the rehearsal when `version` is not the shipped minor; undefined when it is. */
  note?: string;
}

function minorOf(version: string): string {
  return version.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/** The control plane for an OpenShift release such as `4.2.0` or `4.16.3`. */
export function controlPlaneFor(release: string): ControlPlaneChoice {
  const match = /^4\.(\d+)(\.|$)/.exec(release);
  const kubeMinor = match ? KUBE_MINOR_OF_OPENSHIFT[Number(match[1])] : undefined;
  const shipped = kubeMinor === undefined ? undefined : `1.${kubeMinor}`;
  const exact = BUILT_KUBE_VERSIONS.find((version) => minorOf(version) === shipped);
  if (exact) return { shipped, version: exact };
  const oldest = BUILT_KUBE_VERSIONS[0];
  const what = shipped
    ? `OpenShift ${release} ships Kubernetes ${shipped}`
    : `OpenShift ${release} is not in the version map`;
  return {
    ...(shipped ? { shipped } : {}),
    version: oldest,
    note: `${what}, which this build lacks: the lab's control plane is Kubernetes ${oldest}, the oldest one built`,
  };
}
