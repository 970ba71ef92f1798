/**
 * MachineConfig content: the configs an OpenShift install creates for the master and worker pools
 * (00-<role>, 01-<role>-container-runtime, 01-<role>-kubelet, 99-<role>-<pool uid>-registries,
 * 99-<role>-ssh), the default pools, and how the render controller merges the configs a pool
 * selects into `rendered-<pool>-<hash>`. The kubelet unit carries `--node-labels`, which is how
 * a node's role label follows the config it boots (see `kubeletNodeLabels`).
 */
import type { Lab } from '../../lab/schema.js';
import type { KubeObject } from '../apiserver/store.js';
import { md5Hex } from './hash.js';

export const MC = 'machineconfigs.machineconfiguration.openshift.io';
export const MCP = 'machineconfigpools.machineconfiguration.openshift.io';
export const MC_API_VERSION = 'machineconfiguration.openshift.io/v1';
export const ROLE_LABEL = 'machineconfiguration.openshift.io/role';
export const GENERATED_BY = 'machineconfiguration.openshift.io/generated-by-controller-version';

export interface IgnitionFile {
  path: string;
  filesystem?: string;
  mode?: number;
  contents: { source: string; verification?: object };
  [key: string]: unknown;
}

export interface IgnitionUnit {
  name: string;
  enabled?: boolean;
  contents?: string;
  dropins?: { name: string; contents: string }[];
  [key: string]: unknown;
}

export interface IgnitionUser {
  name: string;
  sshAuthorizedKeys?: string[];
  [key: string]: unknown;
}

export interface MachineConfigSpec {
  osImageURL?: string;
  config?: {
    ignition?: { version?: string; [key: string]: unknown };
    storage?: { files?: IgnitionFile[]; [key: string]: unknown };
    systemd?: { units?: IgnitionUnit[]; [key: string]: unknown };
    passwd?: { users?: IgnitionUser[]; [key: string]: unknown };
    [key: string]: unknown;
  };
  kernelArguments?: string[] | null;
  extensions?: string[] | null;
  fips?: boolean;
  kernelType?: string;
  [key: string]: unknown;
}

/** Ignition spec version of the release: 2.2.0 up to OpenShift 4.5, 3.x after. */
export function ignitionVersion(lab: Pick<Lab, 'cluster'>): string {
  const minor = Number(lab.cluster.version.split('.')[1] ?? 0);
  return minor <= 5 ? '2.2.0' : '3.2.0';
}

/** The MCO's version string, as the generated-by annotation carries it. */
export function controllerVersion(lab: Pick<Lab, 'cluster'>): string {
  return `${lab.cluster.version}-sim`;
}

function file(path: string, contents: string, mode = 420): IgnitionFile {
  return {
    path,
    filesystem: 'root',
    mode,
    contents: { source: `data:,${encodeURIComponent(contents)}`, verification: {} },
  };
}

/** Owner of the configs the template controller generates. */
const CONTROLLER_CONFIG_REF = {
  apiVersion: MC_API_VERSION,
  kind: 'ControllerConfig',
  name: 'machine-config-controller',
  uid: '6a0c3e84-0c2c-4ad4-9f23-8c4b1f5a7d10',
  controller: true,
  blockOwnerDeletion: true,
};

function machineConfig(lab: Lab, name: string, role: string, config: MachineConfigSpec['config']): KubeObject {
  return {
    apiVersion: MC_API_VERSION,
    kind: 'MachineConfig',
    metadata: {
      name,
      labels: { [ROLE_LABEL]: role },
      annotations: { [GENERATED_BY]: controllerVersion(lab) },
      ownerReferences: [CONTROLLER_CONFIG_REF],
    },
    spec: {
      osImageURL: '',
      config: { ignition: { version: ignitionVersion(lab) }, ...config },
      kernelArguments: null,
      extensions: [],
      fips: false,
      kernelType: '',
    },
  };
}

/** The kubelet unit as MCO templates it: the role label and, on masters, the master taint. */
function kubeletUnit(role: string): IgnitionUnit {
  const taints =
    role === 'master' ? ' \\\n      --register-with-taints=node-role.kubernetes.io/master=:NoSchedule' : '';
  return {
    name: 'kubelet.service',
    enabled: true,
    contents: [
      '[Unit]',
      'Description=Kubernetes Kubelet',
      'Wants=rpc-statd.service crio.service',
      'After=crio.service',
      '',
      '[Service]',
      'ExecStart=/usr/bin/hyperkube \\',
      '    kubelet \\',
      '      --config=/etc/kubernetes/kubelet.conf \\',
      '      --bootstrap-kubeconfig=/etc/kubernetes/kubeconfig \\',
      '      --kubeconfig=/var/lib/kubelet/kubeconfig \\',
      '      --container-runtime=remote \\',
      '      --container-runtime-endpoint=/var/run/crio/crio.sock \\',
      `      --node-labels=node-role.kubernetes.io/${role},node.openshift.io/os_id=\${ID}${taints} \\`,
      '      --minimum-container-ttl-duration=6m0s \\',
      '      --cloud-provider= \\',
      '      --v=3',
      'Restart=always',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
    ].join('\n'),
  };
}

/**
 * The MachineConfigs an install creates for `role` (master or worker). `poolUid` is the uid of the
 * role's MachineConfigPool, which names the registries config; `sshAuthorizedKeys` the install's
 * public keys.
 */
export function installMachineConfigs(
  lab: Lab,
  role: 'master' | 'worker',
  poolUid: string,
  sshAuthorizedKeys: readonly string[] = [],
): KubeObject[] {
  return [
    machineConfig(lab, `00-${role}`, role, {
      storage: {
        files: [
          file('/etc/kubernetes/kubelet-ca.crt', '# kubelet client CA bundle\n'),
          file('/etc/sysctl.d/forward.conf', 'net.ipv4.ip_forward = 1\n'),
          file(`/etc/kubernetes/manifests/.${role}`, `${role}\n`),
        ],
      },
      systemd: {
        units: [
          {
            name: 'machine-config-daemon-firstboot.service',
            enabled: true,
            contents: '[Unit]\nDescription=Machine Config Daemon Firstboot\n',
          },
        ],
      },
    }),
    machineConfig(lab, `01-${role}-container-runtime`, role, {
      storage: {
        files: [file('/etc/crio/crio.conf', '[crio]\n[crio.runtime]\nconmon = "/usr/libexec/crio/conmon"\n')],
      },
    }),
    machineConfig(lab, `01-${role}-kubelet`, role, {
      storage: {
        files: [
          file(
            '/etc/kubernetes/kubelet.conf',
            'kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nmaxPods: 250\n',
          ),
        ],
      },
      systemd: { units: [kubeletUnit(role)] },
    }),
    machineConfig(lab, `99-${role}-${poolUid}-registries`, role, {
      storage: {
        files: [
          file(
            '/etc/containers/registries.conf',
            'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\n',
          ),
        ],
      },
    }),
    machineConfig(lab, `99-${role}-ssh`, role, {
      passwd: { users: [{ name: 'core', sshAuthorizedKeys: [...sshAuthorizedKeys] }] },
    }),
  ];
}

/** The master and worker pools as the MCO's manifests define them. */
export function installPools(): KubeObject[] {
  const pool = (role: 'master' | 'worker', extraLabels: Record<string, string>): KubeObject => ({
    apiVersion: MC_API_VERSION,
    kind: 'MachineConfigPool',
    metadata: {
      name: role,
      labels: {
        'machineconfiguration.openshift.io/mco-built-in': '',
        [`pools.operator.machineconfiguration.openshift.io/${role}`]: '',
        ...extraLabels,
      },
    },
    spec: {
      machineConfigSelector: { matchLabels: { [ROLE_LABEL]: role } },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${role}`]: '' } },
      paused: false,
      maxUnavailable: 1,
    },
  });
  return [
    pool('master', { 'operator.machineconfiguration.openshift.io/required-for-upgrade': '' }),
    pool('worker', {}),
  ];
}

const byName = (a: KubeObject, b: KubeObject) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

/** `rendered-<pool>-<md5>`: the hash covers the names and specs of the selected configs, in name order. */
export function renderedConfigName(pool: string, machineConfigs: readonly KubeObject[]): string {
  const content = [...machineConfigs].sort(byName).map((mc) => ({ name: mc.metadata.name, spec: mc.spec ?? {} }));
  return `rendered-${pool}-${md5Hex(content)}`;
}

/** Merges configs as the render controller does: in name order, later files/units of the same path/name win. */
export function mergeMachineConfigs(
  machineConfigs: readonly KubeObject[],
  fallbackIgnition: string,
): MachineConfigSpec {
  const files = new Map<string, IgnitionFile>();
  const units = new Map<string, IgnitionUnit>();
  const users = new Map<string, IgnitionUser>();
  const merged: MachineConfigSpec = {
    osImageURL: '',
    kernelArguments: [],
    extensions: [],
    fips: false,
    kernelType: '',
  };
  let version: string | undefined;
  for (const mc of [...machineConfigs].sort(byName)) {
    const spec = (mc.spec ?? {}) as MachineConfigSpec;
    if (spec.osImageURL) merged.osImageURL = spec.osImageURL;
    if (spec.kernelType) merged.kernelType = spec.kernelType;
    if (spec.fips) merged.fips = true;
    merged.kernelArguments!.push(...(spec.kernelArguments ?? []));
    merged.extensions!.push(...(spec.extensions ?? []));
    version ??= spec.config?.ignition?.version;
    for (const entry of spec.config?.storage?.files ?? []) files.set(entry.path, entry);
    for (const unit of spec.config?.systemd?.units ?? []) units.set(unit.name, unit);
    for (const user of spec.config?.passwd?.users ?? []) {
      const known = users.get(user.name);
      users.set(
        user.name,
        known
          ? { ...known, sshAuthorizedKeys: [...(known.sshAuthorizedKeys ?? []), ...(user.sshAuthorizedKeys ?? [])] }
          : user,
      );
    }
  }
  merged.config = {
    ignition: { version: version ?? fallbackIgnition },
    storage: { files: [...files.values()] },
    systemd: { units: [...units.values()] },
    passwd: { users: [...users.values()] },
  };
  return merged;
}

/** The labels the kubelet of a config registers with (`--node-labels`), variables left out. */
export function kubeletNodeLabels(spec: MachineConfigSpec | undefined): Record<string, string> {
  const unit = spec?.config?.systemd?.units?.find((candidate) => candidate.name === 'kubelet.service');
  const flag = /--node-labels=(\S+)/.exec(unit?.contents ?? '');
  const labels: Record<string, string> = {};
  for (const pair of flag?.[1]?.split(',') ?? []) {
    const [key, value = ''] = pair.split('=');
    if (key && !value.includes('$')) labels[key] = value;
  }
  return labels;
}
