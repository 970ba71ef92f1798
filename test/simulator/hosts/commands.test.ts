/** Raw command lines as an SSH client could send them, straight to a simulated host's dispatcher. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { runHostCommand, type HostCommandContext } from '../../../simulator/hosts/commands.js';
import { PowerBoard } from '../../../simulator/hosts/power-board.js';
import { RootFs } from '../../../simulator/hosts/root-fs.js';
import { HostServices } from '../../../simulator/hosts/services.js';
import { DomainIds } from '../../../simulator/hosts/virsh.js';

let dir: string;
let lab: Lab;
const logged: string[] = [];

function contextFor(hostName: string): HostCommandContext {
  const host = lab.hosts.find((candidate) => candidate.name === hostName)!;
  const fs = new RootFs(join(dir, hostName));
  const power = new PowerBoard(lab.nodes.map((node) => node.name));
  return {
    lab,
    host,
    services: new HostServices(host, fs, join(dir, `${hostName}.json`)),
    power,
    ids: new DomainIds(power),
    log: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runbook-commands-'));
  lab = structuredClone(await loadLab(fileURLToPath(new URL('../../../runbooks/labs/example.yaml', import.meta.url))));
  lab.nodes[0]!.power = { type: 'ipmi', address: '10.42.44.200', username: 'admin', password: 'env:IPMI_PASSWORD' };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test.each([
  'rndc reload; id',
  'rndc reload && reboot',
  'rndc reload | tee /x',
  'rndc $(id)',
  'rndc `id`',
  'rndc reload > /etc/passwd',
])('shell syntax is refused with 127: %s', async (line) => {
  const result = await runHostCommand(line, {}, contextFor('netserv1'));
  expect(result.code).toBe(127);
  expect(result.stderr).toMatch(/^netserv1: refused: shell syntax ".*" is not accepted/);
  expect(result.stderr).toContain('The simulated host netserv1 runs only:\n  named-checkconf -z\n');
});

test('quoted words are the same command as bare ones', async () => {
  // No named runs in this bare context: rndc is dispatched, and finds nothing listening.
  expect((await runHostCommand('\'rndc\' "reload"', {}, contextFor('netserv1'))).stderr).toContain(
    'connection refused',
  );
});

test('a host without services or hypervisor runs nothing, ipmitool included (the worker runs it)', async () => {
  const ctx = contextFor('kvm1');
  const result = await runHostCommand('ls /', {}, { ...ctx, host: { ...ctx.host, hypervisor: undefined } });
  expect(result.code).toBe(127);
  expect(result.stderr).not.toContain('ipmitool');
  expect(result.stderr).not.toContain('virsh');
});

test('an ipmitool password given with -P never reaches the log, though the host refuses ipmitool', async () => {
  logged.length = 0;
  const result = await runHostCommand(
    'ipmitool -I lanplus -H 10.42.44.200 -U admin -P s3cret power on',
    {},
    contextFor('kvm2'),
  );
  expect(result.code).toBe(127);
  expect(result.stderr).toContain('ipmitool: command not found');
  expect(logged.join('\n')).not.toContain('s3cret');
  expect(logged.join('\n')).toContain("-P '****'");
});
