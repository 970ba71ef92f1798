/**
 * Step activities of the day-2 runbooks (infra-nodes, ceph-csi, registry-storage, egress-router),
 * each declared once (../engine/declare.ts). Every action is a planned converge: its plan half is
 * the read-only look at the cluster `runbook plan` shows.
 */
import { StepErrorType } from '../../contract/error-types.js';
import { defineAction, defineWait, kubeParams } from '../engine/declare.js';
import type { PlannedStep } from '../support/plan.js';
import type { StepContext } from '../../contract/step.js';
import { cephDriverStep, cephProveStep, cephSccStep, cephWaitDriver } from './ceph.js';
import { egressCheckSelectorsStep, egressWaitEgressIps, egressWaitNetNamespaces, egressWaitRouters } from './egress.js';
import {
  infraCheckNodesStep,
  infraPoolStep,
  infraCheckPreviousStep,
  infraRelabelStep,
  infraWaitNodeUpdated,
  infraWaitRendered,
  infraWaitRouters,
} from './infra.js';
import {
  registryCheckStorageClassStep,
  registryGuardEmptyDirStep,
  registryWaitClaimBound,
  registryWaitRollout,
} from './registry.js';

/** A planned converge that takes no parameters. */
const planned = <const Name extends string>(
  name: Name,
  summary: string,
  errors: readonly StepErrorType[],
  step: (context: StepContext) => PlannedStep,
) => defineAction({ name, summary, params: kubeParams, errors, planned: (context) => step(context) });

/** A wait that takes no parameters and polls until the step's deadline. */
const waitFor = <const Name extends string>(
  name: Name,
  summary: string,
  errors: readonly StepErrorType[],
  probe: (context: StepContext) => ReturnType<typeof infraWaitRendered>,
) => defineWait({ name, summary, params: kubeParams, errors, deadline: 'step', probe: (context) => probe(context) });

const INFRA = [StepErrorType.LabSectionMissing, StepErrorType.InfraNodesMismatch];

export const day2Declarations = [
  planned('infraCheckNodes', 'every infra node of the lab is a node of the cluster', INFRA, infraCheckNodesStep),
  planned('infraApplyPool', 'the infra copies of the worker MachineConfigs and the infra pool', INFRA, infraPoolStep),
  waitFor('infraWaitRendered', 'the infra pool’s rendered-infra config', INFRA, infraWaitRendered),
  planned(
    'infraCheckPrevious',
    'the infra nodes before this one are back in service',
    [...INFRA, StepErrorType.PreviousInfraNodeNotReady],
    infraCheckPreviousStep,
  ),
  planned(
    'infraRelabel',
    'the node labelled infra, not worker, once no budget would hold its drain',
    [...INFRA, StepErrorType.DrainBlocked],
    infraRelabelStep,
  ),
  defineWait({
    name: 'infraWaitNodeUpdated',
    summary: 'the node drained, rebooted and back Ready on the infra config',
    params: kubeParams,
    errors: [...INFRA, StepErrorType.InfraPoolDegraded],
    deadline: { lab: (lab) => lab.day2.infra?.nodeDeadline ?? '30m', field: 'day2.infra.nodeDeadline' },
    probe: (context) => infraWaitNodeUpdated(context),
  }),
  waitFor('infraWaitRouters', 'every default router on an infra node, ingress Available', INFRA, infraWaitRouters),
  planned(
    'cephGrantScc',
    'the hostaccess and privileged SCCs for the driver’s accounts',
    [StepErrorType.LabSectionMissing],
    cephSccStep,
  ),
  planned(
    'cephApplyDriver',
    'ceph-csi’s RBAC, provisioner and node plugin of the pinned release',
    [StepErrorType.LabSectionMissing, StepErrorType.DriverManifestMissing, StepErrorType.NamespaceMismatch],
    cephDriverStep,
  ),
  waitFor('cephWaitDriver', 'the node plugin on every schedulable node and the provisioner', [], cephWaitDriver),
  planned(
    'cephProveStorageClass',
    'a test claim of the StorageClass binds',
    [StepErrorType.StorageClassMissing],
    cephProveStep,
  ),
  planned(
    'registryCheckStorageClass',
    'the StorageClass of the claim exists',
    [StepErrorType.LabSectionMissing, StepErrorType.StorageClassMissing],
    registryCheckStorageClassStep,
  ),
  planned(
    'registryGuardEmptyDir',
    'refuses to leave a claim for emptyDir unless asked',
    [StepErrorType.EmptyDirRefused],
    registryGuardEmptyDirStep,
  ),
  defineWait({
    name: 'registryWaitClaimBound',
    summary: 'the registry’s claim Bound',
    params: kubeParams,
    errors: [StepErrorType.LabSectionMissing],
    deadline: { lab: (lab) => lab.day2.registry?.bindDeadline ?? '10m', field: 'day2.registry.bindDeadline' },
    probe: (context) => registryWaitClaimBound(context),
  }),
  waitFor('registryWaitRollout', 'the registry on its storage, the operator Available', [], registryWaitRollout),
  planned(
    'egressCheckSelectors',
    'each egress router’s node selector matches nodes of the cluster',
    [StepErrorType.LabSectionMissing, StepErrorType.NodeSelectorMatchesNothing],
    egressCheckSelectorsStep,
  ),
  waitFor(
    'egressWaitNetNamespaces',
    'the NetNamespaces of the egress IP namespaces, the nodes’ HostSubnets (SDN)',
    [StepErrorType.LabSectionMissing],
    egressWaitNetNamespaces,
  ),
  waitFor(
    'egressWaitEgressIps',
    'every EgressIP address assigned to a node, and which node holds it (OVN)',
    [StepErrorType.LabSectionMissing],
    egressWaitEgressIps,
  ),
  waitFor(
    'egressWaitRouters',
    'every router on a matching node, its Service with endpoints',
    [StepErrorType.LabSectionMissing],
    egressWaitRouters,
  ),
] as const;
