/**
 * install-config.yaml as openshift-install reads it for a UPI bare-metal install (platform none):
 * the same fields, the same checks and the same wording (`<field>: <problem>`), with what to do
 * next. The pull secret and SSH key are checked but never repeated in a message.
 */
import { parse } from 'yaml';

export interface InstallConfig {
  apiVersion: 'v1';
  baseDomain: string;
  metadata: { name: string };
  controlPlane: { name: 'master'; replicas: number; hyperthreading?: string };
  compute: Array<{ name: string; replicas: number; hyperthreading?: string }>;
  networking: {
    clusterNetwork: Array<{ cidr: string; hostPrefix: number }>;
    serviceNetwork: string[];
    machineNetwork?: Array<{ cidr: string }>;
    machineCIDR?: string;
    networkType: string;
  };
  platform: { none: Record<string, never> };
  pullSecret: string;
  sshKey?: string;
}

export class InstallConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid "install-config.yaml" file: ${problems.join(', ')}`);
    this.name = 'InstallConfigError';
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const SSH_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(\s.*)?$/;

function validCidr(value: unknown): boolean {
  const match = typeof value === 'string' ? CIDR.exec(value) : null;
  return !!match && match.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(match[5]) <= 32;
}

function replicas(problems: string[], field: string, value: unknown, least: number): number {
  // Both pools default to three machines when the field is left out.
  if (value === undefined) return 3;
  if (!Number.isInteger(value) || (value as number) < least) {
    problems.push(`${field}: Invalid value: ${JSON.stringify(value)}: must be a whole number, ${least} or more`);
    return least;
  }
  return value as number;
}

/** Parses and checks install-config.yaml; throws InstallConfigError listing every problem. */
export function parseInstallConfig(text: string): InstallConfig {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InstallConfigError([`failed to unmarshal install-config.yaml: ${(error as Error).message}`]);
  }
  if (!isObject(document)) throw new InstallConfigError(['the file is not a YAML mapping']);
  const problems: string[] = [];
  const required = (field: string) => problems.push(`${field}: Required value`);

  if (document.apiVersion !== 'v1') {
    problems.push(
      document.apiVersion === undefined
        ? 'apiVersion: Required value: install-config version required (apiVersion: v1)'
        : `apiVersion: Invalid value: ${JSON.stringify(document.apiVersion)}: install-config version must be "v1"`,
    );
  }
  const baseDomain = document.baseDomain;
  if (typeof baseDomain !== 'string' || baseDomain === '') required('baseDomain');
  else if (!baseDomain.split('.').every((label) => DNS_LABEL.test(label)))
    problems.push(
      `baseDomain: Invalid value: "${baseDomain}": a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    );

  const metadata = isObject(document.metadata) ? document.metadata : {};
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') problems.push('metadata.name: Required value: cluster name required');
  else if (!DNS_LABEL.test(name))
    problems.push(
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    );

  const controlPlane = isObject(document.controlPlane) ? document.controlPlane : undefined;
  if (!controlPlane) required('controlPlane');
  else if (controlPlane.name !== 'master')
    problems.push(
      `controlPlane.name: Unsupported value: ${JSON.stringify(controlPlane.name)}: supported values: "master"`,
    );
  const masters = replicas(problems, 'controlPlane.replicas', controlPlane?.replicas, 1);

  const computeList = Array.isArray(document.compute) ? document.compute : undefined;
  if (document.compute !== undefined && !computeList)
    problems.push('compute: Invalid value: must be a list of machine pools');
  const compute = (computeList ?? [{ name: 'worker', replicas: 3 }]).map((pool, index) => {
    const entry = isObject(pool) ? pool : {};
    if (entry.name !== 'worker')
      problems.push(
        `compute[${index}].name: Unsupported value: ${JSON.stringify(entry.name)}: supported values: "worker"`,
      );
    return { name: 'worker', replicas: replicas(problems, `compute[${index}].replicas`, entry.replicas, 0) };
  });

  const networking = isObject(document.networking) ? document.networking : undefined;
  if (!networking) required('networking');
  const clusterNetwork = Array.isArray(networking?.clusterNetwork) ? networking.clusterNetwork : [];
  if (networking && clusterNetwork.length === 0) required('networking.clusterNetwork');
  clusterNetwork.forEach((entry, index) => {
    const cidr = isObject(entry) ? entry.cidr : undefined;
    if (!validCidr(cidr))
      problems.push(
        `networking.clusterNetwork[${index}].cidr: Invalid value: ${JSON.stringify(cidr)}: invalid CIDR address`,
      );
    const prefix = isObject(entry) ? entry.hostPrefix : undefined;
    if (!Number.isInteger(prefix) || (prefix as number) > 32)
      problems.push(
        `networking.clusterNetwork[${index}].hostPrefix: Invalid value: ${JSON.stringify(prefix)}: must be a prefix length (0-32)`,
      );
  });
  const serviceNetwork = Array.isArray(networking?.serviceNetwork) ? networking.serviceNetwork : [];
  if (networking && serviceNetwork.length === 0) required('networking.serviceNetwork');
  if (serviceNetwork.length > 1)
    problems.push('networking.serviceNetwork: Invalid value: only one service network can be specified');
  serviceNetwork.forEach((cidr, index) => {
    if (!validCidr(cidr))
      problems.push(
        `networking.serviceNetwork[${index}]: Invalid value: ${JSON.stringify(cidr)}: invalid CIDR address`,
      );
  });
  const machineNetwork = Array.isArray(networking?.machineNetwork) ? networking.machineNetwork : undefined;
  machineNetwork?.forEach((entry, index) => {
    const cidr = isObject(entry) ? entry.cidr : undefined;
    if (!validCidr(cidr))
      problems.push(
        `networking.machineNetwork[${index}].cidr: Invalid value: ${JSON.stringify(cidr)}: invalid CIDR address`,
      );
  });
  if (networking?.machineCIDR !== undefined && !validCidr(networking.machineCIDR))
    problems.push(
      `networking.machineCIDR: Invalid value: ${JSON.stringify(networking.machineCIDR)}: invalid CIDR address`,
    );
  if (networking && typeof networking.networkType !== 'string') required('networking.networkType');

  const platform = isObject(document.platform) ? document.platform : undefined;
  if (!platform) required('platform');
  else {
    const kinds = Object.keys(platform);
    if (kinds.length !== 1 || kinds[0] !== 'none' || !isObject(platform.none)) {
      problems.push(
        `platform: Invalid value: ${JSON.stringify(kinds.join(','))}: this openshift-install installs on ` +
          `bare metal you provision (UPI): set "platform: {none: {}}"`,
      );
    }
  }

  const pullSecret = document.pullSecret;
  if (typeof pullSecret !== 'string' || pullSecret.trim() === '')
    problems.push('pullSecret: Required value: paste the pull secret from console.redhat.com (a JSON document)');
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(pullSecret);
    } catch {
      parsed = undefined;
    }
    if (!isObject(parsed) || !isObject(parsed.auths))
      problems.push('pullSecret: Invalid value: (not shown): the pull secret must be JSON with an "auths" object');
  }
  const sshKey = document.sshKey;
  if (sshKey !== undefined && (typeof sshKey !== 'string' || !SSH_KEY.test(sshKey.trim())))
    problems.push(
      'sshKey: Invalid value: (not shown): must be one OpenSSH public key line (ssh-ed25519 AAAA… or ssh-rsa AAAA…)',
    );

  if (problems.length > 0) throw new InstallConfigError(problems);
  return {
    apiVersion: 'v1',
    baseDomain: baseDomain as string,
    metadata: { name: name as string },
    controlPlane: { name: 'master', replicas: masters },
    compute,
    networking: {
      clusterNetwork: clusterNetwork as InstallConfig['networking']['clusterNetwork'],
      serviceNetwork: serviceNetwork as string[],
      ...(machineNetwork ? { machineNetwork: machineNetwork as Array<{ cidr: string }> } : {}),
      ...(typeof networking?.machineCIDR === 'string' ? { machineCIDR: networking.machineCIDR } : {}),
      networkType: networking!.networkType as string,
    },
    platform: { none: {} },
    pullSecret: pullSecret as string,
    ...(typeof sshKey === 'string' ? { sshKey: sshKey.trim() } : {}),
  };
}
