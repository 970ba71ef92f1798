/**
 * The Kubernetes minor each OpenShift 4 minor ships, from the OpenShift release notes ("OpenShift
 * Container Platform 4.16 uses Kubernetes 1.29"). A leaf module: the simulator's objects use it too.
 */
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
