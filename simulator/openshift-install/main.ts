/**
 * A stand-in for `openshift-install` in rehearsals: the same commands, flags, files and log lines as
 * the real binary for a UPI install (`version`, `create manifests`, `create ignition-configs`), for
 * the release the simulated lab pins. It learns where that lab is from `RUNBOOK_SIM_ENDPOINTS` (the
 * lab's endpoints.json), so that auth/kubeconfig reaches the simulated API server; everything else
 * comes from the install folder, as with the real binary. Secrets in install-config.yaml are read
 * from disk and written only into the files that carry them, never to the terminal or the log.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import {
  adminKubeconfig,
  ignitionConfigs,
  manifestFiles,
  metadataJson,
  newIds,
  type ApiTarget,
  type InstallState,
} from './assets.js';
import { GatherError, gatherBootstrap } from './gather.js';
import { InstallConfigError, parseInstallConfig } from './install-config.js';
import { createRootCa, kubeadminPassword } from './pki.js';

export const ENDPOINTS_ENV = 'RUNBOOK_SIM_ENDPOINTS';
const STATE_FILE = '.openshift_install_state.json';
const LOG_FILE = '.openshift_install.log';
/** The real installer's exit code for an invalid install-config. */
const EXIT_INSTALL_CONFIG = 3;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal: log lines are `INFO …` there, `level=info msg="…"` otherwise. */
  tty: boolean;
  /** How the program was called (the real binary prints it in `version`). */
  argv0: string;
}

/** The simulated lab this stand-in serves: its release and API server. */
export interface SimTarget {
  release: string;
  architecture: string;
  api: ApiTarget;
  /** The lab's admin endpoint (its nodes' states), for `gather bootstrap`: its URL, CA and token. */
  admin?: { url: string; caPem: string; token: string };
}

/** The admin endpoint's URL with the CA and token of its own kubeconfig (the simulated API's). */
async function adminTarget(url: string, kubeconfigPath: string): Promise<SimTarget['admin']> {
  const kubeconfig = parse(await readFile(kubeconfigPath, 'utf8')) as {
    clusters?: Array<{ cluster?: { 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { token?: string } }>;
  };
  const caData = kubeconfig.clusters?.[0]?.cluster?.['certificate-authority-data'];
  const token = kubeconfig.users?.[0]?.user?.token;
  return caData && token ? { url, caPem: Buffer.from(caData, 'base64').toString(), token } : undefined;
}

class Fatal extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export async function readTarget(env: NodeJS.ProcessEnv): Promise<SimTarget> {
  const file = env[ENDPOINTS_ENV];
  if (!file) {
    throw new Fatal(
      `this openshift-install is the simulated one for rehearsals: set ${ENDPOINTS_ENV} to the ` +
        `endpoints.json of a running simulated lab (runbook sim start --state-dir DIR writes ` +
        `DIR/endpoints.json), or run the real openshift-install against real hardware`,
    );
  }
  let endpoints: {
    release?: { version?: string; architecture?: string };
    apiServer?: { url?: string; kubeconfig?: string; adminUrl?: string; adminKubeconfig?: string };
  };
  try {
    endpoints = JSON.parse(await readFile(file, 'utf8')) as typeof endpoints;
  } catch (error) {
    throw new Fatal(
      `cannot read ${file} (${ENDPOINTS_ENV}): ${(error as Error).message}; is the simulated lab running?`,
    );
  }
  const version = endpoints.release?.version;
  const kubeconfigPath = endpoints.apiServer?.kubeconfig;
  if (!version || !endpoints.apiServer?.url || !kubeconfigPath)
    throw new Fatal(`${file} names no release or API server: start the simulated lab again to rewrite it`);
  const kubeconfig = parse(await readFile(kubeconfigPath, 'utf8')) as {
    clusters?: Array<{ cluster?: { 'certificate-authority-data'?: string } }>;
    users?: Array<{ user?: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string } }>;
  };
  const caData = kubeconfig.clusters?.[0]?.cluster?.['certificate-authority-data'];
  const user = kubeconfig.users?.[0]?.user;
  // The simulated API server's token, or the real control plane's admin client certificate.
  const credential =
    user?.token !== undefined
      ? { token: user.token }
      : user?.['client-certificate-data'] && user['client-key-data']
        ? { 'client-certificate-data': user['client-certificate-data'], 'client-key-data': user['client-key-data'] }
        : undefined;
  if (!caData || !credential) {
    throw new Fatal(`${kubeconfigPath} has no CA or credential: start the simulated lab again`);
  }
  const admin = endpoints.apiServer.adminUrl
    ? await adminTarget(endpoints.apiServer.adminUrl, endpoints.apiServer.adminKubeconfig ?? kubeconfigPath)
    : undefined;
  return {
    release: version,
    architecture: endpoints.release?.architecture ?? 'x86_64',
    api: { url: endpoints.apiServer.url, caPem: Buffer.from(caData, 'base64').toString(), user: credential },
    ...(admin && { admin }),
  };
}

/** `openshift-install version`, in the real binary's three lines. */
export function versionText(argv0: string, target: Pick<SimTarget, 'release' | 'architecture'>): string {
  const commit = createHash('sha1').update(`openshift-install ${target.release}`).digest('hex');
  const digest = createHash('sha256').update(`ocp-release ${target.release}-${target.architecture}`).digest('hex');
  return (
    `${argv0} v${target.release}\nbuilt from commit ${commit}\nrelease image ` +
    `quay.io/openshift-release-dev/ocp-release@sha256:${digest}\n`
  );
}

interface Parsed {
  command: string[];
  dir: string;
  help: boolean;
  /** `gather bootstrap`: the bootstrap node's and the masters' addresses. */
  bootstrap?: string;
  masters: string[];
}

function parseArgs(args: readonly string[]): Parsed {
  const command: string[] = [];
  let dir = '.';
  let help = false;
  let bootstrap: string | undefined;
  const masters: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string?]) : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) throw new Fatal(`flag needs an argument: ${flag}`, 1);
      return next;
    };
    if (flag === '--dir') dir = value();
    else if (flag === '--log-level' || flag === '--key') value();
    else if (flag === '--bootstrap') bootstrap = value();
    else if (flag === '--master') masters.push(value());
    else if (flag === '--help' || flag === '-h') help = true;
    else if (arg.startsWith('-')) throw new Fatal(`unknown flag: ${flag}`, 1);
    else command.push(arg);
  }
  return { command, dir, help, masters, ...(bootstrap !== undefined && { bootstrap }) };
}

const USAGE = `Creates OpenShift clusters (simulated for rehearsals)

Usage:
  openshift-install [command]

Available Commands:
  create      Create part of an OpenShift cluster (manifests, ignition-configs)
  gather      Gather debugging data for a given installation failure (bootstrap)
  version     Print version information

Flags:
      --dir string         assets directory (default ".")
      --log-level string   log level (e.g. "debug | info | warn | error") (default "info")
`;

export async function runOpenshiftInstall(args: readonly string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const logLines: string[] = [];
  const log = (level: 'info' | 'warning' | 'fatal', message: string) => {
    const line = `level=${level} msg=${JSON.stringify(message)}`;
    logLines.push(`time="${new Date().toISOString()}" ${line}`);
    io.stderr(io.tty ? `${level.toUpperCase()} ${message}\n` : `${line}\n`);
  };
  let dir = '.';
  try {
    const parsed = parseArgs(args);
    dir = parsed.dir;
    const [verb, noun, ...rest] = parsed.command;
    if (parsed.help || verb === undefined || verb === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (verb === 'version' && noun === undefined) {
      io.stdout(versionText(io.argv0, await readTarget(env)));
      return 0;
    }
    if (verb === 'create' && rest.length === 0 && (noun === 'manifests' || noun === 'ignition-configs')) {
      const target = await readTarget(env);
      if (noun === 'manifests') await createManifests(dir, target, log);
      else await createIgnitionConfigs(dir, target, log);
      return 0;
    }
    if (verb === 'gather' && noun === 'bootstrap' && rest.length === 0) {
      const bundle = await gatherBootstrap({
        dir,
        bootstrap: parsed.bootstrap,
        masters: parsed.masters,
        target: await readTarget(env),
        log,
      }).catch((error: unknown) => {
        throw error instanceof GatherError ? new Fatal(error.message) : error;
      });
      log('info', `Bootstrap gather logs captured here "${bundle}"`);
      return 0;
    }
    if (verb === 'create' || verb === 'wait-for' || verb === 'destroy' || verb === 'gather') {
      throw new Fatal(
        `"${parsed.command.join(' ')}" is not simulated: the simulated openshift-install does "create ` +
          `manifests", "create ignition-configs" and "gather bootstrap"; wait on the cluster with the runbook's waits`,
      );
    }
    io.stderr(`Error: unknown command "${verb}" for "openshift-install"\nRun 'openshift-install --help' for usage.\n`);
    return 1;
  } catch (error) {
    const code = error instanceof Fatal ? error.code : 1;
    log('fatal', error instanceof Error ? error.message : String(error));
    return code;
  } finally {
    if (existsSync(dir) && logLines.length > 0)
      await appendFile(path.join(dir, LOG_FILE), `${logLines.join('\n')}\n`).catch(() => undefined);
  }
}

type Log = (level: 'info' | 'warning' | 'fatal', message: string) => void;

async function readState(dir: string): Promise<InstallState | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as InstallState;
  } catch {
    return undefined;
  }
}

async function writeState(dir: string, state: InstallState): Promise<void> {
  await writeFile(path.join(dir, STATE_FILE), `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

/** Reads and consumes install-config.yaml (as the real one does), or reuses the state of an earlier run. */
async function installState(dir: string, asset: string, log: Log): Promise<InstallState> {
  const configPath = path.join(dir, 'install-config.yaml');
  const earlier = await readState(dir);
  if (!existsSync(configPath)) {
    if (earlier) return earlier;
    throw new Fatal(
      `failed to fetch ${asset}: no install-config.yaml in ${path.resolve(dir)}: write it there first ` +
        `(apiVersion v1, baseDomain, metadata.name, controlPlane, compute, networking, platform none, pullSecret, sshKey)`,
      EXIT_INSTALL_CONFIG,
    );
  }
  let installConfig;
  try {
    installConfig = parseInstallConfig(await readFile(configPath, 'utf8'));
  } catch (error) {
    if (error instanceof InstallConfigError)
      throw new Fatal(
        `failed to fetch ${asset}: failed to load asset "Install Config": ${error.message}`,
        EXIT_INSTALL_CONFIG,
      );
    throw error;
  }
  log('info', 'Consuming Install Config from target directory');
  // A new install-config keeps the install's identity and CA but makes new manifests.
  const state: InstallState = {
    installConfig,
    rootCa: earlier?.rootCa ?? (await createRootCa()),
    ...(earlier ? { clusterId: earlier.clusterId, infraId: earlier.infraId } : newIds(installConfig)),
    kubeadminPassword: earlier?.kubeadminPassword ?? kubeadminPassword(),
  };
  await writeState(dir, state);
  await rm(configPath);
  return state;
}

async function writeFiles(dir: string, files: Record<string, string>, mode = 0o640): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content, { mode });
  }
}

async function createManifests(dir: string, target: SimTarget, log: Log): Promise<void> {
  const state = await installState(dir, 'Manifests', log);
  if (state.installConfig.compute.every((pool) => pool.replicas === 0))
    log(
      'warning',
      'Making control-plane schedulable by setting MastersSchedulable to true for Scheduler cluster settings',
    );
  // Like the asset store: manifests already in the folder (edited or not) are kept as they are.
  const files = state.manifests ?? manifestFiles(state, target.release);
  const missing = Object.entries(files).filter(([relative]) => !existsSync(path.join(dir, relative)));
  if (missing.length < Object.keys(files).length) log('info', 'Consuming Common Manifests from target directory');
  await writeFiles(dir, Object.fromEntries(missing));
  log('info', `Manifests created in: ${path.join(dir, 'manifests')} and ${path.join(dir, 'openshift')}`);
}

/** manifests/ and openshift/ as they are in the folder (edited by the user), consumed. */
async function consumeManifests(dir: string, log: Log): Promise<Record<string, string> | undefined> {
  const files: Record<string, string> = {};
  for (const folder of ['manifests', 'openshift']) {
    const local = path.join(dir, folder);
    if (!existsSync(local)) continue;
    for (const name of (await readdir(local)).sort())
      files[`${folder}/${name}`] = await readFile(path.join(local, name), 'utf8');
  }
  if (Object.keys(files).length === 0) return undefined;
  log('info', 'Consuming Openshift Manifests from target directory');
  log('info', 'Consuming Common Manifests from target directory');
  for (const folder of ['manifests', 'openshift']) await rm(path.join(dir, folder), { recursive: true, force: true });
  return files;
}

async function createIgnitionConfigs(dir: string, target: SimTarget, log: Log): Promise<void> {
  const state = await installState(dir, 'Bootstrap Ignition Config', log);
  const manifests = (await consumeManifests(dir, log)) ?? state.manifests ?? manifestFiles(state, target.release);
  await writeState(dir, { ...state, manifests });
  await writeFiles(dir, ignitionConfigs(state, manifests, target.release));
  await writeFiles(dir, { 'metadata.json': metadataJson(state) });
  await writeFiles(
    dir,
    { 'auth/kubeconfig': adminKubeconfig(state, target.api), 'auth/kubeadmin-password': state.kubeadminPassword },
    0o600,
  );
  log('info', `Ignition-Configs created in: ${dir} and ${path.join(dir, 'auth')}`);
}
