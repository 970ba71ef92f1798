/**
 * Where steps run. `onLab` places a step on the worker of the lab's own queue (`runbook worker --lab
 * <lab name>`), the machine that keeps the lab's install folder: openshift-install's state, the
 * ignition files and the admin kubeconfig (auth/kubeconfig) that the cluster steps use
 * (activities/support/kube-access.ts). Kept for egress-router.ts; the other runbooks say it once,
 * with `defineRunbook({ defaults: { on: 'lab' } })`.
 */
export const onLab = { on: 'lab' } as const;
