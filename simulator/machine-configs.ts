/**
 * The MachineConfigs and MachineConfigPools an install leaves (the seed's `oc get mc`): per role
 * `00-<role>`, `01-<role>-container-runtime`, `01-<role>-kubelet`, `99-<role>-<uuid>-registries`,
 * `99-<role>-ssh`, and the pools' `rendered-<pool>-<hash>` merged from them. `renderMachineConfig`
 * is the render controller's merge, so a pool's rendered config is named the same whoever renders it.
 */
import type { Lab } from '../lab/schema.js';
import type { KubeObject, ObjectStore } from './apiserver/store.js';
import { md5Hex } from './controllers/hash.js';
import { now } from './openshift-objects.js';

export const MC = 'machineconfigs.machineconfiguration.openshift.io';
export const MCP = 'machineconfigpools.machineconfiguration.openshift.io';
export const ROLE_LABEL = 'machineconfiguration.openshift.io/role';
export const GENERATED_BY = 'machineconfiguration.openshift.io/generated-by-controller-version';
/** The controller version OpenShift 4.2.0's MCO stamps on what it generates. */
const CONTROLLER_VERSION = 'd780d197a9c5848ba786982c0c4aaa7487297046';
/** The ControllerConfig that owns generated MachineConfigs (not served by the simulated API). */
const CONTROLLER_CONFIG_REF = {
  apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'ControllerConfig', name: 'machine-config-controller',
  uid: '3a7c07c1-f26f-11e9-a34e-525400e1605b', controller: true, blockOwnerDeletion: true,
};
/** The image config's uid, part of the registries MachineConfig name (`99-worker-<uid>-registries`). */
const IMAGE_CONFIG_UID = 'ad9f8790-f270-11e9-a34e-525400e1605b';

interface MachineConfigSpec {
  config?: { ignition?: { version?: string }; storage?: { files?: unknown[] }; systemd?: { units?: unknown[] }; passwd?: { users?: unknown[] } };
  kernelArguments?: string[];
  osImageURL?: string;
  fips?: boolean;
  kernelType?: string;
}

function file(path: string, contents: string, mode = 420): Record<string, unknown> {
  return { filesystem: 'root', path, mode, contents: { source: `data:,${encodeURIComponent(contents)}`, verification: {} } };
}

function machineConfig(name: string, role: string, spec: MachineConfigSpec, generated: boolean): KubeObject {
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfig',
    metadata: {
      name,
      labels: { [ROLE_LABEL]: role },
      ...(generated ? { annotations: { [GENERATED_BY]: CONTROLLER_VERSION }, ownerReferences: [CONTROLLER_CONFIG_REF] } : {}),
    },
    spec: { osImageURL: '', fips: false, kernelArguments: [], kernelType: '', ...spec },
  };
}

function ignition(files: unknown[] = [], units: unknown[] = [], users?: unknown[]): MachineConfigSpec['config'] {
  return { ignition: { version: '2.2.0' }, storage: { files }, systemd: { units }, ...(users ? { passwd: { users } } : {}) };
}

/** The base MachineConfigs of one role, as the MCO and the installer create them. */
export function baseMachineConfigs(lab: Lab, role: 'master' | 'worker', sshPublicKey?: string): KubeObject[] {
  const domain = `${lab.cluster.name}.${lab.cluster.baseDomain}`;
  return [
    machineConfig(`00-${role}`, role, {
      config: ignition(
        [
          file('/etc/kubernetes/kubelet-ca.crt', '# kubelet CA bundle\n'),
          file('/etc/kubernetes/kubeconfig', `# kubelet bootstrap kubeconfig for https://api-int.${domain}:6443\n`, 384),
          file('/etc/hostname', '', 420),
        ],
        [{ name: 'kubelet.service', enabled: true, contents: `[Unit]\nDescription=Kubernetes Kubelet\n[Service]\nExecStart=/usr/bin/hyperkube kubelet --node-labels=node-role.kubernetes.io/${role},node.openshift.io/os_id=rhcos\n` }, { name: 'machine-config-daemon-host.service', enabled: true }],
      ),
    }, true),
    machineConfig(`01-${role}-container-runtime`, role, {
      config: ignition([file('/etc/containers/storage.conf', '[storage]\ndriver = "overlay"\n'), file('/etc/crio/crio.conf', '[crio]\n')]),
    }, true),
    machineConfig(`01-${role}-kubelet`, role, {
      config: ignition([file('/etc/kubernetes/kubelet.conf', 'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\n')],
        [{ name: 'kubelet.service', enabled: true }]),
    }, true),
    machineConfig(`99-${role}-${IMAGE_CONFIG_UID}-registries`, role, {
      config: ignition([file('/etc/containers/registries.conf', 'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n')]),
    }, true),
    machineConfig(`99-${role}-ssh`, role, {
      config: ignition([], [], [{ name: 'core', sshAuthorizedKeys: sshPublicKey ? [sshPublicKey] : [] }]),
    }, false),
  ];
}

/** The render controller's merge of the pool's MachineConfigs (sorted by name) into `rendered-<pool>-<md5>`. */
export function renderMachineConfig(pool: string, configs: readonly KubeObject[]): KubeObject {
  const sorted = [...configs].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const merged: Required<Pick<MachineConfigSpec, 'kernelArguments' | 'osImageURL' | 'fips' | 'kernelType'>> & { config: NonNullable<MachineConfigSpec['config']> } = {
    config: { ignition: { version: '2.2.0' }, storage: { files: [] }, systemd: { units: [] }, passwd: { users: [] } },
    kernelArguments: [], osImageURL: '', fips: false, kernelType: '',
  };
  for (const mc of sorted) {
    const spec = (mc.spec ?? {}) as MachineConfigSpec;
    merged.config.storage!.files!.push(...(spec.config?.storage?.files ?? []));
    merged.config.systemd!.units!.push(...(spec.config?.systemd?.units ?? []));
    merged.config.passwd!.users!.push(...(spec.config?.passwd?.users ?? []));
    merged.kernelArguments.push(...(spec.kernelArguments ?? []));
    if (spec.osImageURL) merged.osImageURL = spec.osImageURL;
    merged.fips ||= spec.fips ?? false;
    if (spec.kernelType) merged.kernelType = spec.kernelType;
  }
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfig',
    metadata: {
      name: `rendered-${pool}-${md5Hex(merged)}`,
      annotations: { [GENERATED_BY]: CONTROLLER_VERSION },
      ownerReferences: [{ apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfigPool', name: pool, uid: '', controller: true, blockOwnerDeletion: true }],
    },
    spec: merged,
  };
}

function poolObject(role: 'master' | 'worker', rendered: KubeObject, sources: readonly KubeObject[], nodeCount: number): KubeObject {
  const configuration = {
    name: rendered.metadata.name,
    source: sources.map((mc) => ({ apiVersion: 'machineconfiguration.openshift.io/v1', kind: 'MachineConfig', name: mc.metadata.name })),
  };
  const condition = (type: string, status: 'True' | 'False', message = '') => ({ type, status, lastTransitionTime: now(), reason: '', message });
  return {
    apiVersion: 'machineconfiguration.openshift.io/v1',
    kind: 'MachineConfigPool',
    metadata: {
      name: role,
      labels: {
        'machineconfiguration.openshift.io/mco-built-in': '',
        [`pools.operator.machineconfiguration.openshift.io/${role}`]: '',
        ...(role === 'master' ? { 'operator.machineconfiguration.openshift.io/required-for-upgrade': '' } : {}),
      },
    },
    spec: {
      machineConfigSelector: { matchLabels: { [ROLE_LABEL]: role } },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${role}`]: '' } },
      paused: false,
      maxUnavailable: null,
      configuration,
    },
    status: {
      observedGeneration: 2,
      configuration,
      machineCount: nodeCount,
      readyMachineCount: nodeCount,
      updatedMachineCount: nodeCount,
      unavailableMachineCount: 0,
      degradedMachineCount: 0,
      conditions: [
        condition('RenderDegraded', 'False'),
        condition('NodeDegraded', 'False'),
        condition('Degraded', 'False'),
        condition('Updated', 'True', `All nodes are updated with ${rendered.metadata.name}`),
        condition('Updating', 'False'),
      ],
    },
  };
}

/**
 * Creates the base MachineConfigs, the rendered ones and the master/worker pools (what is missing
 * only). `nodeCounts` fills the pools' status as the node controller would report it.
 */
export function seedMachineConfigs(
  store: ObjectStore,
  lab: Lab,
  options: { sshPublicKey?: string; nodeCounts?: { master: number; worker: number } } = {},
): void {
  for (const role of ['master', 'worker'] as const) {
    const base = baseMachineConfigs(lab, role, options.sshPublicKey);
    for (const mc of base) if (!store.get(MC, undefined, mc.metadata.name)) store.create(MC, mc);
    const rendered = renderMachineConfig(role, base);
    let pool = store.get(MCP, undefined, role);
    if (!pool) {
      const seeded = poolObject(role, rendered, base, options.nodeCounts?.[role] ?? 0);
      store.create(MCP, seeded);
      pool = store.mutate(MCP, undefined, role, (draft) => {
        draft.status = seeded.status;
      }, { subresource: 'status' });
    }
    (rendered.metadata.ownerReferences as Array<{ uid: string }>)[0]!.uid = pool.metadata.uid!;
    if (!store.get(MC, undefined, rendered.metadata.name)) store.create(MC, rendered);
  }
}
