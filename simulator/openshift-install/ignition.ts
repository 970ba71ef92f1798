/**
 * Ignition configs as openshift-install writes them and as RHCOS reads them. Releases 4.2–4.5 write
 * spec 2.2.0 (a pointer config `append`s the machine config server's config), 4.6 and later spec 3
 * (`merge`). Masters and workers get a pointer config: fetch the rest from
 * `https://api-int.<cluster domain>:22623/config/<pool>`, trusting only the cluster's root CA. The
 * bootstrap node gets a full config (files, units, users).
 */
import { ignitionSpecWritten, newestIgnitionSpecRead } from '../../lab/release.js';

/** The Ignition spec the openshift-install of a release writes (the release rules, lab/release.ts). */
export const ignitionSpecFor = ignitionSpecWritten;

/** The newest Ignition spec the Ignition of an RHCOS release reads; it reads older ones of the same major. */
export const newestSpecReadBy = newestIgnitionSpecRead;

/** Why RHCOS `rhcos` cannot read spec `spec`; undefined when it can. */
export function specProblem(spec: string, rhcos: string): string | undefined {
  const newest = newestSpecReadBy(rhcos);
  const [major, minor] = spec.split('.').map(Number);
  const [newestMajor, newestMinor] = newest.split('.').map(Number);
  if (!/^\d+\.\d+\.\d+(-experimental)?$/.test(spec)) return `"${spec}" is not an Ignition spec version`;
  if (major !== newestMajor) {
    return (
      `it is Ignition spec ${spec}, but RHCOS ${rhcos} reads only spec ${newestMajor}.x (up to ` +
      `${newest}): create it with the openshift-install of the cluster's release`
    );
  }
  if ((minor ?? 0) > (newestMinor ?? 0))
    return `it is Ignition spec ${spec}, newer than RHCOS ${rhcos} reads (up to ${newest})`;
  return undefined;
}

/** The machine config server URL a node of `pool` fetches its config from. */
export function machineConfigUrl(clusterDomain: string, pool: 'master' | 'worker'): string {
  return `https://api-int.${clusterDomain}:22623/config/${pool}`;
}

export function dataUrl(text: string): string {
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text).toString('base64')}`;
}

/** The text of a `data:` URL (base64 or percent-encoded); undefined for anything else. */
export function decodeDataUrl(source: string): string | undefined {
  const match = /^data:([^,]*),(.*)$/s.exec(source);
  if (!match) return undefined;
  return match[1]!.endsWith(';base64') ? Buffer.from(match[2]!, 'base64').toString() : decodeURIComponent(match[2]!);
}

/** A pointer config of spec `spec`: fetch `source`, trusting `caPem`. */
export function pointerIgnition(spec: string, source: string, caPem: string): Record<string, unknown> {
  if (spec.startsWith('2.')) {
    return {
      ignition: {
        config: { append: [{ source, verification: {} }] },
        security: { tls: { certificateAuthorities: [{ source: dataUrl(caPem), verification: {} }] } },
        timeouts: {},
        version: spec,
      },
      networkd: {},
      passwd: {},
      storage: {},
      systemd: {},
    };
  }
  return {
    ignition: {
      config: { merge: [{ source }] },
      security: { tls: { certificateAuthorities: [{ source: dataUrl(caPem) }] } },
      version: spec,
    },
  };
}

export interface IgnitionFile {
  path: string;
  contents: string;
  mode: number;
}

/** A full config of spec `spec`: files (root-owned), systemd units enabled, SSH keys for `core`. */
export function fullIgnition(
  spec: string,
  content: { files: IgnitionFile[]; units: Array<{ name: string; contents: string }>; sshKeys: string[] },
): Record<string, unknown> {
  const v2 = spec.startsWith('2.');
  return {
    ignition: { version: spec, ...(v2 ? { config: {}, security: {}, timeouts: {} } : {}) },
    passwd: { users: [{ name: 'core', sshAuthorizedKeys: content.sshKeys }] },
    storage: {
      files: content.files.map((file) => ({
        ...(v2 ? { filesystem: 'root' } : { overwrite: true }),
        path: file.path,
        user: { name: 'root' },
        contents: { source: dataUrl(file.contents), ...(v2 ? { verification: {} } : {}) },
        mode: file.mode,
      })),
    },
    systemd: { units: content.units.map((unit) => ({ ...unit, enabled: true })) },
  };
}

/** What a node's Ignition makes of a config: its spec, where a pointer leads, the files it writes. */
export interface ReadIgnition {
  version: string;
  /** For a pointer config: the config it fetches and the CAs it trusts for that (PEM). */
  pointer?: { source: string; certificateAuthorities: string[] };
  /** Path → contents of the files a full config writes. */
  files: Map<string, string>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses an Ignition config as Ignition does; the problem in words when it is not one. */
export function readIgnition(text: string): ReadIgnition | { problem: string } {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    return { problem: `it is not JSON (${(error as Error).message}), so not an Ignition config` };
  }
  const ignition = isObject(config) ? config.ignition : undefined;
  const version = isObject(ignition) ? ignition.version : undefined;
  if (!isObject(ignition) || typeof version !== 'string')
    return { problem: 'it has no ignition.version, so it is not an Ignition config' };
  const section = isObject(ignition.config) ? ignition.config : {};
  const key = version.startsWith('2.') ? 'append' : 'merge';
  const wrongKey = version.startsWith('2.') ? 'merge' : 'append';
  if (Array.isArray(section[wrongKey]) && (section[wrongKey] as unknown[]).length > 0)
    return { problem: `ignition.config.${wrongKey} is not part of spec ${version} (it uses ignition.config.${key})` };
  const pointers = Array.isArray(section[key]) ? (section[key] as unknown[]) : [];
  const security = isObject(ignition.security) && isObject(ignition.security.tls) ? ignition.security.tls : {};
  const cas = (Array.isArray(security.certificateAuthorities) ? security.certificateAuthorities : []).flatMap(
    (entry) => {
      const decoded = isObject(entry) && typeof entry.source === 'string' ? decodeDataUrl(entry.source) : undefined;
      return decoded === undefined ? [] : [decoded];
    },
  );
  const files = new Map<string, string>();
  const storage = isObject(config) && isObject(config.storage) ? config.storage : {};
  for (const file of Array.isArray(storage.files) ? storage.files : []) {
    if (!isObject(file) || typeof file.path !== 'string') continue;
    const source = isObject(file.contents) && typeof file.contents.source === 'string' ? file.contents.source : '';
    files.set(file.path, decodeDataUrl(source) ?? '');
  }
  const first = pointers[0];
  if (first !== undefined && !(isObject(first) && typeof first.source === 'string'))
    return { problem: `ignition.config.${key}[0] has no source` };
  return {
    version,
    ...(isObject(first) ? { pointer: { source: first.source as string, certificateAuthorities: cas } } : {}),
    files,
  };
}

/** Where the bootstrap node's full config keeps the cluster's root CA and its kubelet's kubeconfig. */
export const BOOTSTRAP_FILES = {
  rootCa: '/opt/openshift/tls/root-ca.crt',
  kubeletKubeconfig: '/etc/kubernetes/kubeconfig',
} as const;
