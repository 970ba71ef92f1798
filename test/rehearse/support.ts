/**
 * What the `runbook rehearse` tests share: a real dev server and a scratch folder for the file's
 * tests, the CLI run against that server, and the JSON events of `--json` output.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const exampleLab = path.join(repo, 'runbooks/labs/example.yaml');

export type CliRun = ResultPromise<{ reject: false; all: true }>;

export interface RehearsalCli {
  /** `runbook <args>` against the file's server, colours off; `env` adds to or overrides its environment. */
  runbook(args: string[], env?: Record<string, string>): CliRun;
  /** A folder of this file's own, removed after its tests. */
  scratch(name: string): string;
}

/** Starts the server and the scratch folder before the file's tests, stops and removes them after. */
export function rehearsalCli(prefix: string): RehearsalCli {
  let temporal: TestTemporal;
  let scratch: string;
  beforeAll(async () => {
    temporal = await startTestTemporal();
    scratch = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    await temporal?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  return {
    runbook: (args, env = {}) =>
      execa('node', [path.join(repo, 'bin/runbook.js'), ...args], {
        cwd: repo,
        env: { ...temporal.env, NO_COLOR: '1', ...env },
        reject: false,
        all: true,
      }),
    scratch: (name) => path.join(scratch, name),
  };
}

/** The JSON lines of a `--json` output. */
export function events<E extends { event: string }>(stdout: string): E[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as E);
}

/**
 * A `rehearse … --json` run with a scenario of faults, and a way to wait (on its output, not the
 * clock) until it has reported its n-th pause; `output()` is what it printed so far.
 */
export function rehearsalWithFaults(cli: RehearsalCli, runbook: string, stateDir: string, scenario: string) {
  const run = cli.runbook([
    'rehearse',
    runbook,
    '--lab',
    exampleLab,
    '--state-dir',
    stateDir,
    '--faults',
    scenario,
    '--json',
  ]);
  let output = '';
  run.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const paused = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (events(output).filter((event) => event.event === 'paused').length >= n) resolve();
      };
      run.stdout.on('data', check);
      check();
      run.then(() => reject(new Error(`the rehearsal ended before pause ${n}:\n${output}`)), reject);
    });
  return { run, paused, output: () => output };
}
