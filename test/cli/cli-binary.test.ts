/** Finding the Temporal CLI: $TEMPORAL_CLI, PATH, the user cache, and the message when none exists. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { asUserError, ExitCode } from '../../cli/errors.js';
import { TemporalError, TemporalErrorKind } from '../../temporal/errors.js';
import {
  FALLBACK_GO_TOOLCHAIN,
  TEMPORAL_CLI_MODULE,
  cachedCliDir,
  findTemporalCli,
} from '../../temporal/cli-binary.js';

const saved = { ...process.env };
const dirs: string[] = [];
afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-cli-binary-'));
  dirs.push(dir);
  return dir;
}

async function fakeBinary(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'temporal');
  await writeFile(file, '#!/bin/sh\n');
  await chmod(file, 0o755);
  return file;
}

describe('findTemporalCli', () => {
  it('prefers $TEMPORAL_CLI and rejects one that does not exist', async () => {
    const binary = await fakeBinary(await tempDir());
    process.env.TEMPORAL_CLI = binary;
    await expect(findTemporalCli()).resolves.toBe(binary);
    process.env.TEMPORAL_CLI = `${binary}-missing`;
    await expect(findTemporalCli()).rejects.toThrow(/TEMPORAL_CLI is set to .*not an executable/);
  });

  it('then PATH, then the user cache directory', async () => {
    delete process.env.TEMPORAL_CLI;
    const home = await tempDir();
    process.env.XDG_CACHE_HOME = path.join(home, 'cache');
    expect(cachedCliDir()).toBe(path.join(home, 'cache', 'openshift-runbooks', 'bin'));
    const cached = await fakeBinary(cachedCliDir());
    const onPath = await fakeBinary(path.join(home, 'path-bin'));
    process.env.PATH = path.join(home, 'path-bin');
    await expect(findTemporalCli()).resolves.toBe(onPath);
    process.env.PATH = path.join(home, 'empty');
    await expect(findTemporalCli()).resolves.toBe(cached);
  });

  it('builds it with Go into the cache, retrying with the Go 1.25 toolchain when the first build fails', async () => {
    delete process.env.TEMPORAL_CLI;
    const home = await tempDir();
    process.env.XDG_CACHE_HOME = home;
    // A stand-in `go` that records its calls and, like a machine Go too new for the module, fails
    // unless GOTOOLCHAIN picks another toolchain; then it "installs" into GOBIN.
    const bin = path.join(home, 'bin');
    await mkdir(bin);
    const calls = path.join(home, 'calls');
    await writeFile(
      path.join(bin, 'go'),
      `#!/bin/sh\necho "$* GOBIN=$GOBIN GOTOOLCHAIN=$GOTOOLCHAIN" >> ${calls}\n` +
        `[ -n "$GOTOOLCHAIN" ] || { echo "build failed" >&2; exit 1; }\n` +
        `printf '#!/bin/sh\\n' > "$GOBIN/temporal" && chmod +x "$GOBIN/temporal"\n`,
    );
    await chmod(path.join(bin, 'go'), 0o755);
    process.env.PATH = `${bin}${path.delimiter}/usr/bin${path.delimiter}/bin`;
    const progress = new PassThrough();
    let shown = '';
    progress.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    await expect(findTemporalCli({ progress })).resolves.toBe(path.join(cachedCliDir(), 'temporal'));
    const lines = (await readFile(calls, 'utf8')).trim().split('\n');
    expect(lines).toEqual([
      `install ${TEMPORAL_CLI_MODULE} GOBIN=${cachedCliDir()} GOTOOLCHAIN=`,
      `install ${TEMPORAL_CLI_MODULE} GOBIN=${cachedCliDir()} GOTOOLCHAIN=${FALLBACK_GO_TOOLCHAIN}`,
    ]);
    expect(shown).toMatch(/build failed/);
    expect(shown).toMatch(/retrying with GOTOOLCHAIN=go1\.25/);
  });

  it('names every way to install it when there is none and no Go', async () => {
    delete process.env.TEMPORAL_CLI;
    const home = await tempDir();
    process.env.XDG_CACHE_HOME = home;
    process.env.PATH = path.join(home, 'empty');
    const error = await findTemporalCli().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TemporalError);
    expect((error as TemporalError).kind).toBe(TemporalErrorKind.Unavailable);
    expect(asUserError(error)?.exitCode).toBe(ExitCode.UNAVAILABLE);
    const details = (error as TemporalError).details.join('\n');
    expect(details).toMatch(/brew install temporal/);
    expect(details).toMatch(/github\.com\/temporalio\/cli\/releases/);
    expect(details).toMatch(/go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  });
});
