/**
 * What `openshift-install create manifests` and `create ignition-configs` write into the install
 * folder, in the real installer's layout: manifests/ and openshift/ (the scheduler manifest with
 * mastersSchedulable among them), then bootstrap.ign (a full config), master.ign and worker.ign
 * (pointer configs to api-int:22623 trusting the install's root CA), auth/kubeconfig,
 * auth/kubeadmin-password and metadata.json.
 */
import { createHash, randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import type { InstallConfig } from './install-config.js';
import { BOOTSTRAP_FILES, fullIgnition, ignitionSpecFor, machineConfigUrl, pointerIgnition } from './ignition.js';
import type { RootCa } from './pki.js';

/** What the installer keeps between its commands (`.openshift_install_state.json`). */
export interface InstallState {
  installConfig: InstallConfig;
  rootCa: RootCa;
  clusterId: string;
  infraId: string;
  kubeadminPassword: string;
  /** manifests/ and openshift/ as `create ignition-configs` consumed them (with the user's edits). */
  manifests?: Record<string, string>;
}

/** A kubeconfig's user credential: the simulated API server's bearer token, or the real one's client certificate. */
export type KubeconfigUser = { token: string } | { 'client-certificate-data': string; 'client-key-data': string };

/** Where the simulated lab's API server is, for auth/kubeconfig. */
export interface ApiTarget {
  url: string;
  caPem: string;
  user: KubeconfigUser;
}

export const clusterDomainOf = (config: InstallConfig): string => `${config.metadata.name}.${config.baseDomain}`;

/** `<name, at most 27 characters>-<5 random characters>`, as the installer names the infrastructure. */
export function newIds(config: InstallConfig): Pick<InstallState, 'clusterId' | 'infraId'> {
  const suffix = randomUUID()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 5);
  return { clusterId: randomUUID(), infraId: `${config.metadata.name.slice(0, 27).replace(/-+$/, '')}-${suffix}` };
}

const yaml = (object: unknown) => stringify(object, { lineWidth: 0 });

/** install-config as the cluster keeps it (kube-system/cluster-config-v1): without the pull secret. */
function storedInstallConfig(config: InstallConfig): string {
  const { pullSecret: _pullSecret, ...rest } = config;
  return yaml(rest);
}

/**
 * Relative path → content of manifests/ and openshift/ after `create manifests`. With no compute
 * replicas (UPI), the installer makes the control plane schedulable; the procedure sets it back.
 */
export function manifestFiles(state: InstallState, release: string): Record<string, string> {
  const config = state.installConfig;
  const spec = ignitionSpecFor(release);
  const domain = clusterDomainOf(config);
  const noWorkers = config.compute.every((pool) => pool.replicas === 0);
  const kubeadminHash = createHash('sha256').update(state.kubeadminPassword).digest('base64');
  const sshMachineConfig = (role: 'master' | 'worker') =>
    yaml({
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfig',
      metadata: {
        creationTimestamp: null,
        labels: { 'machineconfiguration.openshift.io/role': role },
        name: `99-${role}-ssh`,
      },
      spec: {
        config: {
          ignition: { version: spec },
          passwd: { users: [{ name: 'core', sshAuthorizedKeys: config.sshKey ? [config.sshKey] : [] }] },
        },
      },
    });
  const pointerSecret = (role: 'master' | 'worker') =>
    yaml({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${role}-user-data`, namespace: 'openshift-machine-api' },
      type: 'Opaque',
      data: {
        disableTemplating: Buffer.from('true').toString('base64'),
        userData: Buffer.from(
          JSON.stringify(pointerIgnition(spec, machineConfigUrl(domain, role), state.rootCa.certPem)),
        ).toString('base64'),
      },
    });
  return {
    'manifests/cluster-config.yaml': yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-config-v1', namespace: 'kube-system' },
      data: { 'install-config': storedInstallConfig(config) },
    }),
    'manifests/cluster-dns-02-config.yml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'DNS',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { baseDomain: domain },
      status: {},
    }),
    'manifests/cluster-infrastructure-02-config.yml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Infrastructure',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { cloudConfig: { name: '' } },
      status: {
        apiServerInternalURI: `https://api-int.${domain}:6443`,
        apiServerURL: `https://api.${domain}:6443`,
        etcdDiscoveryDomain: domain,
        infrastructureName: state.infraId,
        platform: 'None',
      },
    }),
    'manifests/cluster-ingress-02-config.yml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Ingress',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { domain: `apps.${domain}` },
      status: {},
    }),
    'manifests/cluster-network-02-config.yml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Network',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: {
        clusterNetwork: config.networking.clusterNetwork,
        externalIP: { policy: {} },
        networkType: config.networking.networkType,
        serviceNetwork: config.networking.serviceNetwork,
      },
      status: {},
    }),
    'manifests/cluster-proxy-01-config.yaml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Proxy',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { trustedCA: { name: '' } },
      status: {},
    }),
    'manifests/cluster-scheduler-02-config.yml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Scheduler',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { mastersSchedulable: noWorkers, policy: { name: '' } },
      status: {},
    }),
    'manifests/cvo-overrides.yaml': yaml({
      apiVersion: 'config.openshift.io/v1',
      kind: 'ClusterVersion',
      metadata: { name: 'version', namespace: 'openshift-cluster-version' },
      spec: { channel: 'stable', clusterID: state.clusterId },
    }),
    'manifests/kube-system-configmap-root-ca.yaml': yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'root-ca', namespace: 'kube-system' },
      data: { 'ca.crt': state.rootCa.certPem },
    }),
    'manifests/openshift-config-secret-pull-secret.yaml': yaml({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pull-secret', namespace: 'openshift-config' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(config.pullSecret).toString('base64') },
    }),
    'openshift/99_kubeadmin-password-secret.yaml': yaml({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubeadmin', namespace: 'kube-system' },
      type: 'Opaque',
      data: { kubeadmin: Buffer.from(kubeadminHash).toString('base64') },
    }),
    'openshift/99_openshift-cluster-api_master-user-data-secret.yaml': pointerSecret('master'),
    'openshift/99_openshift-cluster-api_worker-user-data-secret.yaml': pointerSecret('worker'),
    'openshift/99_openshift-machineconfig_99-master-ssh.yaml': sshMachineConfig('master'),
    'openshift/99_openshift-machineconfig_99-worker-ssh.yaml': sshMachineConfig('worker'),
  };
}

/** A kubeconfig for `server` trusting `caPem`, user `user` with its credential. */
function kubeconfig(
  cluster: string,
  server: string,
  caPem: string,
  user: { name: string; credential: KubeconfigUser },
): string {
  return yaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: cluster, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } },
    ],
    contexts: [{ name: user.name, context: { cluster, user: user.name } }],
    'current-context': user.name,
    preferences: {},
    users: [{ name: user.name, user: user.credential }],
  });
}

/** The three ignition configs, written for the installer's `release`. */
export function ignitionConfigs(
  state: InstallState,
  manifests: Record<string, string>,
  release: string,
): Record<'bootstrap.ign' | 'master.ign' | 'worker.ign', string> {
  const config = state.installConfig;
  const domain = clusterDomainOf(config);
  const spec = ignitionSpecFor(release);
  const ca = state.rootCa.certPem;
  const bootstrapToken = createHash('sha256').update(`${state.clusterId}/kubelet-bootstrap`).digest('hex');
  const bootstrap = fullIgnition(spec, {
    sshKeys: config.sshKey ? [config.sshKey] : [],
    files: [
      { path: BOOTSTRAP_FILES.rootCa, contents: ca, mode: 0o644 },
      {
        path: BOOTSTRAP_FILES.kubeletKubeconfig,
        contents: kubeconfig(config.metadata.name, `https://api-int.${domain}:6443`, ca, {
          name: 'kubelet',
          credential: { token: bootstrapToken },
        }),
        mode: 0o600,
      },
      { path: '/root/.docker/config.json', contents: config.pullSecret, mode: 0o600 },
      { path: '/opt/openshift/metadata.json', contents: metadataJson(state), mode: 0o644 },
      ...Object.entries(manifests).map(([relative, contents]) => ({
        path: `/opt/openshift/${relative}`,
        contents,
        mode: 0o644,
      })),
      {
        path: '/usr/local/bin/report-progress.sh',
        contents:
          '#!/usr/bin/env bash\n# Records bootstrap progress in kube-system/bootstrap (status: complete when done).\n',
        mode: 0o755,
      },
    ],
    units: [
      { name: 'bootkube.service', contents: '[Unit]\nDescription=Bootstrap a Kubernetes cluster\n' },
      { name: 'kubelet.service', contents: '[Unit]\nDescription=Kubernetes Kubelet\n' },
      {
        name: 'progress.service',
        contents: '[Unit]\nDescription=Report the completion of the cluster bootstrap process\n',
      },
    ],
  });
  const pointer = (pool: 'master' | 'worker') => pointerIgnition(spec, machineConfigUrl(domain, pool), ca);
  return {
    'bootstrap.ign': JSON.stringify(bootstrap),
    'master.ign': JSON.stringify(pointer('master')),
    'worker.ign': JSON.stringify(pointer('worker')),
  };
}

export function metadataJson(state: InstallState): string {
  return JSON.stringify({
    clusterName: state.installConfig.metadata.name,
    clusterID: state.clusterId,
    infraID: state.infraId,
  });
}

/** auth/kubeconfig: the admin's, aimed at the API the installer was pointed at. */
export function adminKubeconfig(state: InstallState, api: ApiTarget): string {
  return kubeconfig(state.installConfig.metadata.name, api.url, api.caPem, { name: 'admin', credential: api.user });
}
