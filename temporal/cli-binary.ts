/**
 * Finds the Temporal CLI (`temporal`), which carries the dev server. Order: `$TEMPORAL_CLI`, `temporal`
 * on PATH, the copy cached under the user cache dir, then a `go install` into that cache when Go is
 * present. No registry this project uses ships the binary, hence the Go fallback.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import envPaths from 'env-paths';
import { execa } from 'execa';
import { TemporalError, TemporalErrorKind } from './errors.js';

/** Later tags carry `replace` directives in go.mod, which `go install pkg@version` rejects. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
/** The CLI's go.mod asks for Go 1.25; used when the machine's Go cannot build it. */
export const FALLBACK_GO_TOOLCHAIN = 'go1.25.0';

const executableName = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

/** Where `go install` puts the binary, and where it is looked for: `~/.cache/openshift-runbooks/bin`. */
export function cachedCliDir(): string {
  return path.join(envPaths('openshift-runbooks', { suffix: '' }).cache, 'bin');
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH. */
export async function findOnPath(name: string): Promise<string | undefined> {
  const exe = process.platform === 'win32' && !name.endsWith('.exe') ? `${name}.exe` : name;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, exe)))) return path.join(dir, exe);
  }
  return undefined;
}

export interface FindCliOptions {
  /** Build the CLI with Go when nothing else is found (default true). */
  install?: boolean;
  /** Where build progress goes (default: stderr); the build takes minutes. */
  progress?: NodeJS.WritableStream;
}

/** The path of a usable `temporal` binary, building it with Go as a last resort. */
export async function findTemporalCli(options: FindCliOptions = {}): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new TemporalError(
      `TEMPORAL_CLI is set to ${fromEnv}, which is not an executable file`,
      TemporalErrorKind.Unavailable,
      ['point TEMPORAL_CLI at the `temporal` binary, or unset it to search PATH and the cache'],
    );
  }
  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;
  const cached = path.join(cachedCliDir(), executableName);
  if (await isExecutable(cached)) return cached;

  const go = options.install === false ? undefined : await findOnPath('go');
  if (!go) throw missingCliError(cached);
  await installWithGo(go, options.progress ?? process.stderr);
  if (await isExecutable(cached)) return cached;
  throw missingCliError(cached);
}

async function installWithGo(go: string, progress: NodeJS.WritableStream): Promise<void> {
  const bin = cachedCliDir();
  await mkdir(bin, { recursive: true });
  const build = (toolchain?: string) => {
    progress.write(
      `Building the Temporal CLI with Go ` +
        `(${TEMPORAL_CLI_MODULE}${toolchain ? `, GOTOOLCHAIN=${toolchain}` : ''}) into ${bin}; this ` +
        `takes a few minutes...\n`,
    );
    const run = execa(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { GOBIN: bin, ...(toolchain ? { GOTOOLCHAIN: toolchain } : {}) },
      reject: false,
      stdin: 'ignore',
    });
    run.stdout?.pipe(progress, { end: false });
    run.stderr?.pipe(progress, { end: false });
    return run;
  };
  const first = await build();
  if (first.exitCode === 0) return;
  progress.write(`The build with the machine's Go failed; retrying with GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}\n`);
  const second = await build(FALLBACK_GO_TOOLCHAIN);
  if (second.exitCode === 0) return;
  throw new TemporalError(
    `building the Temporal CLI with Go failed (exit ${second.exitCode ?? 'signal'})`,
    TemporalErrorKind.Unavailable,
    ['the Go output is above; fix it, or install the CLI another way:', ...installOptions()],
  );
}

function installOptions(): string[] {
  return [
    'brew install temporal',
    'or download a release archive from https://github.com/temporalio/cli/releases and put `temporal` on PATH',
    `or install Go (https://go.dev/dl/) and run: GOBIN=${cachedCliDir()} go install ${TEMPORAL_CLI_MODULE}`,
    'or set TEMPORAL_CLI to the path of an existing binary',
  ];
}

function missingCliError(cached: string): TemporalError {
  return new TemporalError(
    `the Temporal CLI (\`temporal\`) was not found: not in $TEMPORAL_CLI, not on PATH, not at ` +
      `${cached}, and Go is not installed to build it`,
    TemporalErrorKind.Unavailable,
    ['install it with one of:', ...installOptions()],
  );
}
