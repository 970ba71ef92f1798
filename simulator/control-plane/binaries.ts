/**
 * Finds the real control-plane binaries of the simulated lab (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler) for one Kubernetes version, or builds them with Go into
 * the user cache: `~/.cache/openshift-runbooks/bin/kube-<version>/`, one folder per version so
 * several minors can sit side by side. No Debian or npm package ships kube-apiserver, and
 * `go install k8s.io/kubernetes/cmd/...@vX` refuses the module's own replace directives, so the
 * build runs in a small main module of this repository (build/<version>/go.mod) that pins each
 * staging module to its tag. Same shape as temporal/cli-binary.ts for the Temporal CLI.
 */
import { rename, rm, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cachedCliDir, findOnPath, isExecutable } from '../../temporal/cli-binary.js';

/** The Kubernetes versions this repository has a build module for (build/<version>/go.mod), oldest first. */
export const BUILT_KUBE_VERSIONS = ['v1.37.2'] as const;
export type KubeVersion = (typeof BUILT_KUBE_VERSIONS)[number];
/** The build a lab runs unless its release asks for another one that is built (versions.ts). */
export const CONTROL_PLANE_VERSION: KubeVersion = BUILT_KUBE_VERSIONS[BUILT_KUBE_VERSIONS.length - 1]!;

export const CONTROL_PLANE_PROGRAMS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type ControlPlaneProgram = (typeof CONTROL_PLANE_PROGRAMS)[number];
export type ControlPlaneBinaries = Record<ControlPlaneProgram, string>;

/** The Go package of each program; `go build -o dir/` names etcd's after its module ("server"). */
const PACKAGES: Record<ControlPlaneProgram, { pkg: string; built: string }> = {
  etcd: { pkg: 'go.etcd.io/etcd/server/v3', built: 'server' },
  'kube-apiserver': { pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', built: 'kube-apiserver' },
  'kube-controller-manager': {
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
    built: 'kube-controller-manager',
  },
  'kube-scheduler': { pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', built: 'kube-scheduler' },
};

/** Overrides the cache: a folder holding the four binaries (e.g. ones built elsewhere). */
export const BIN_DIR_VARIABLE = 'RUNBOOK_KUBE_BIN_DIR';

export class ControlPlaneError extends Error {
  constructor(
    message: string,
    /** Lines under the message: what to do next. */
    public readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

/** The folder the binaries of `version` are built into and looked for. */
export function controlPlaneBinDir(version: KubeVersion): string {
  return path.join(cachedCliDir(), `kube-${version}`);
}

/** The build module of `version` in this repository. */
export function buildModuleDir(version: KubeVersion): string {
  return fileURLToPath(new URL(`./build/${version}`, import.meta.url));
}

/** `go build` flags: stripped binaries, and the version the servers report (`/version`, `kubectl version`). */
export function goBuildArguments(version: KubeVersion, outDir: string): string[] {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const stamps = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.gitCommit=`,
  ]);
  return [
    'build',
    '-trimpath',
    '-ldflags',
    ['-s', '-w', ...stamps].join(' '),
    '-o',
    `${outDir}${path.sep}`,
    ...CONTROL_PLANE_PROGRAMS.map((program) => PACKAGES[program].pkg),
  ];
}

async function binariesIn(dir: string): Promise<ControlPlaneBinaries | undefined> {
  const found = {} as ControlPlaneBinaries;
  for (const program of CONTROL_PLANE_PROGRAMS) {
    const file = path.join(dir, program);
    if (!(await isExecutable(file))) return undefined;
    found[program] = file;
  }
  return found;
}

export interface FindControlPlaneOptions {
  /** Build with Go when the binaries are not there (default false: a build takes minutes). */
  install?: boolean;
  /** Where the build's progress goes (default: stderr). */
  progress?: NodeJS.WritableStream;
}

/** The four binaries of `version`: from $RUNBOOK_KUBE_BIN_DIR, the user cache, or (with `install`) a Go build. */
export async function findControlPlaneBinaries(
  version: KubeVersion,
  options: FindControlPlaneOptions = {},
): Promise<ControlPlaneBinaries> {
  const fromEnv = process.env[BIN_DIR_VARIABLE];
  if (fromEnv) {
    const found = await binariesIn(fromEnv);
    if (found) return found;
    throw new ControlPlaneError(
      `${BIN_DIR_VARIABLE} is set to ${fromEnv}, which does not hold ${CONTROL_PLANE_PROGRAMS.join(', ')}`,
      [
        `point ${BIN_DIR_VARIABLE} at a folder with the four binaries, or unset it to use ${controlPlaneBinDir(version)}`,
      ],
    );
  }
  const dir = controlPlaneBinDir(version);
  const cached = await binariesIn(dir);
  if (cached) return cached;
  if (!options.install) {
    throw new ControlPlaneError(`the Kubernetes ${version} control plane is not built: ${dir} lacks its binaries`, [
      'build it once (about 450 CPU-seconds and 2.5 GB of memory with Go 1.26): runbook sim --install',
      '(scripts/install-deps.sh runs it too)',
    ]);
  }
  await buildWithGo(version, options.progress ?? process.stderr);
  const built = await binariesIn(dir);
  if (built) return built;
  throw new ControlPlaneError(`the build finished but ${dir} still lacks a binary`, [
    `remove ${dir} and run \`runbook sim --install\` again`,
  ]);
}

/** Builds into a private folder and renames it into place, so a build cut short leaves nothing half-made. */
async function buildWithGo(version: KubeVersion, progress: NodeJS.WritableStream): Promise<void> {
  const go = await findOnPath('go');
  if (!go) {
    throw new ControlPlaneError(
      `Go is needed to build the Kubernetes ${version} control plane, and \`go\` is not on PATH`,
      [
        'install Go 1.26 or newer (https://go.dev/dl/; the build module says which in its go line),',
        'then run: runbook sim --install',
      ],
    );
  }
  const final = controlPlaneBinDir(version);
  const partial = `${final}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const nice = await findOnPath('nice');
  const args = goBuildArguments(version, partial);
  progress.write(
    `Building etcd, kube-apiserver, kube-controller-manager and kube-scheduler ${version} with Go into ${final};\n` +
      'this takes several minutes (about 450 CPU-seconds, up to 2.5 GB of memory) and is done once...\n',
  );
  let output = '';
  const run = execa(nice ?? go, nice ? ['-n', '10', go, ...args] : args, {
    cwd: buildModuleDir(version),
    // GOFLAGS: this repository's git metadata has nothing to do with the binaries.
    env: { GOFLAGS: '-buildvcs=false' },
    reject: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
  });
  run.all?.on('data', (chunk: Buffer) => {
    progress.write(chunk);
    output = (output + chunk.toString()).slice(-20_000);
  });
  const result = await run;
  if (result.exitCode !== 0) {
    await rm(partial, { recursive: true, force: true });
    throw buildFailure(version, result.exitCode, output);
  }
  for (const program of CONTROL_PLANE_PROGRAMS) {
    const { built } = PACKAGES[program];
    if (built !== program) await rename(path.join(partial, built), path.join(partial, program));
  }
  // Another build may have finished first; either result is the same build.
  if (await binariesIn(final)) {
    await rm(partial, { recursive: true, force: true });
    return;
  }
  await rm(final, { recursive: true, force: true });
  await rename(partial, final);
}

/** What to do about a failed build, from Go's own words. */
export function buildFailure(version: KubeVersion, exitCode: number | undefined, output: string): ControlPlaneError {
  const message = `building the Kubernetes ${version} control plane with Go failed (exit ${exitCode ?? 'signal'})`;
  const tooOld = /requires go >= ([\d.]+)/.exec(output);
  if (tooOld) {
    return new ControlPlaneError(message, [
      `the build module needs Go ${tooOld[1]} or newer and the machine's Go is older:`,
      'install a newer Go (https://go.dev/dl/), or let Go fetch one with GOTOOLCHAIN=auto, then run: runbook sim --install',
    ]);
  }
  if (
    /(403 Forbidden|404 Not Found|410 Gone|dial tcp|no such host|i\/o timeout|verifying module|checksum mismatch)/.test(
      output,
    )
  ) {
    return new ControlPlaneError(message, [
      'the Go module proxy refused or could not be reached for a module of the build (see the Go output above):',
      'check GOPROXY (`go env GOPROXY`), GOPRIVATE/GONOSUMDB and the network, then run: runbook sim --install',
      `the modules are those of ${path.join(buildModuleDir(version), 'go.mod')} (go.sum pins them)`,
    ]);
  }
  if (/signal: killed|out of memory|cannot allocate memory/.test(output)) {
    return new ControlPlaneError(message, [
      'the linker ran out of memory: the build needs about 2.5 GB free; close other work and run: runbook sim --install',
    ]);
  }
  return new ControlPlaneError(message, ['the Go output is above; fix its cause, then run: runbook sim --install']);
}

/** The versions whose binaries are in the user cache (for messages and the version map). */
export async function cachedKubeVersions(): Promise<KubeVersion[]> {
  const names = await readdir(cachedCliDir()).catch(() => [] as string[]);
  return BUILT_KUBE_VERSIONS.filter((version) => names.includes(`kube-${version}`));
}
