/**
 * `runbook sim` as a user drives it: `sim start` prints an ssh command that works as printed with
 * the real OpenSSH client (a hypervisor host, where virsh is; a 0600 key; the hosts' keys pinned),
 * `sim status` says where the lab stands, `sim fault --help` lists every fault kind with its fields.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultSchema } from '../../../simulator/faults.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const exampleLab = path.join(repo, 'runbooks/labs/example.yaml');

let scratch: string;
let stateDir: string;
let lab: ResultPromise<{ reject: false }> | undefined;
let banner = '';
let exited = false;

function runbook(args: string[]) {
  return execa('node', [path.join(repo, 'bin/runbook.js'), ...args], {
    cwd: repo,
    env: { NO_COLOR: '1' },
    reject: false,
    timeout: 60_000,
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'runbook-sim-cli-'));
  stateDir = path.join(scratch, 'lab');
  const started = execa(
    'node',
    [
      path.join(repo, 'bin/runbook.js'),
      'sim',
      'start',
      '--lab',
      exampleLab,
      '--state-dir',
      stateDir,
      '--from',
      'installed',
      '--time-scale',
      '0',
    ],
    { cwd: repo, env: { NO_COLOR: '1' }, reject: false },
  );
  lab = started;
  // The banner ends with the suggestions; the lab then runs until interrupted.
  await new Promise<void>((resolve, reject) => {
    started.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (banner.includes('runbook sim fault add')) resolve();
    });
    void started.then((result) => {
      exited = true;
      reject(new Error(`sim start exited: ${result.stderr}`));
    });
  });
});

afterAll(async () => {
  if (lab !== undefined && !exited) {
    lab.kill('SIGINT');
    await lab;
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('runbook sim', () => {
  it('start suggests an ssh command to a hypervisor host that works as printed', async () => {
    const line = banner.split('\n').find((candidate) => candidate.trim().startsWith('ssh '));
    expect(line).toBeDefined();
    const [command, ...args] = line!.trim().split(/\s+/);
    expect(args).toContain('virsh');
    const key = args[args.indexOf('-i') + 1]!;
    expect(key.startsWith(stateDir)).toBe(true);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const ssh = await execa(command!, ['-o', 'BatchMode=yes', ...args], { reject: false, timeout: 30_000 });
    expect({ code: ssh.exitCode, stderr: ssh.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ssh.stdout).toMatch(/Id\s+Name\s+State/);
    expect(ssh.stdout).toMatch(/ocp4-compute\d\s+running/);
  });

  it('status shows the API, the install, each node and the faults in force (text and JSON)', async () => {
    const added = await runbook([
      'sim',
      'fault',
      'add',
      'node-never-returns',
      'node=compute3',
      '--state-dir',
      stateDir,
    ]);
    expect(added.exitCode).toBe(0);
    const text = await runbook(['sim', 'status', '--state-dir', stateDir]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('API          up');
    expect(text.stdout).toContain('Bootstrap    complete');
    expect(text.stdout).toMatch(/compute1\s+running\s+Ready worker/);
    expect(text.stdout).toMatch(/bootstrap\s+off\s+not registered/);
    expect(text.stdout).toContain('node-never-returns node=compute3');
    const json = await runbook(['sim', 'status', '--state-dir', stateDir, '--json']);
    const status = JSON.parse(json.stdout) as {
      apiUp: boolean;
      nodes: Record<string, { boot: string; node?: { status: string; roles: string[] } }>;
      faults: unknown[];
    };
    expect(status.apiUp).toBe(true);
    expect(status.nodes.master1).toMatchObject({ boot: 'running', node: { status: 'Ready', roles: ['master'] } });
    expect(status.faults).toEqual([{ kind: 'node-never-returns', node: 'compute3' }]);
  });

  it('fault --help lists every fault kind of the fault schema with its fields', async () => {
    const help = await runbook(['sim', 'fault', '--help']);
    expect(help.exitCode).toBe(0);
    for (const option of faultSchema.options) {
      const fields = Object.keys(option.shape).filter((key) => key !== 'kind');
      const line = help.stdout.split('\n').find((text) => text.startsWith(`  ${option.shape.kind.value} `));
      expect({ kind: option.shape.kind.value, fields: fields.filter((field) => !line?.includes(`${field}=`)) }).toEqual(
        {
          kind: option.shape.kind.value,
          fields: [],
        },
      );
    }
    const wrong = await runbook(['sim', 'fault', 'add', 'node-never-returns', '--state-dir', stateDir]);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/api-unavailable\s+seconds=S/);
  });
});
