/**
 * Where steps run. `onLab` places a step on the worker of the lab's own queue (`runbook worker --lab
 * <lab name>`), the machine that keeps the lab's install folder: openshift-install's state, the
 * ignition files and the admin kubeconfig (auth/kubeconfig) that the cluster steps use
 * (activities/support/kube-access.ts). Every step that reads or writes the folder carries it.
 */
export const onLab = { on: 'lab' } as const;
