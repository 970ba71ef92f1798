/**
 * Which real Kubernetes a lab's release rehearses on. Each OpenShift 4 minor ships one Kubernetes
 * minor (the release notes: "OpenShift Container Platform 4.16 uses Kubernetes 1.29"). The lab uses
 * the build of that minor when this repository has one (simulator/control-plane/build/); a minor
 * without a build rehearses on the oldest one built, and says so in one line.
 */
import { BUILT_KUBE_VERSIONS, type KubeVersion } from './binaries.js';
import { kubernetesMinor, releaseOf } from '../../lab/release.js';

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
  // The lab's release rules (lab/release.ts) say which minor a release ships; one rule for the lab,
  // its simulated kubelets and this choice.
  const kubeMinor = releaseOf(release) === undefined ? undefined : kubernetesMinor(release);
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
