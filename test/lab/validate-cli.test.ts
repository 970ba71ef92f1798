/** `runbook validate` and `runbook schema`, run as the user runs them: `node bin/runbook.js`. */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { materialiseOverlay, overlaidLab } from './overlay.js';
import { fixtureLabs, repoRoot } from './paths.js';

const runbook = (...args: string[]) => execa('node', ['bin/runbook.js', ...args], { cwd: repoRoot, reject: false });

describe('runbook validate', () => {
  it('prints one summary line for a valid lab and exits 0', async () => {
    const { exitCode, stdout, stderr } = await runbook('validate', '--lab', 'runbooks/labs/example.yaml');
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stdout).toBe(
      'runbooks/labs/example.yaml: lab "intra" is valid: 12 nodes (1 bootstrap, 3 master, 5 worker, 3 ' +
        'infra), 7 helper hosts, day-2: ldap, infra, ceph, registry, egress',
    );
  });

  it('prints every issue with its file and line and exits 1', async () => {
    const { exitCode, stdout, stderr } = await runbook('validate', '--lab', 'test/fixtures/labs/seed-as-written.yaml');
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.split('\n');
    expect(lines[0]).toBe('error: test/fixtures/labs/seed-as-written.yaml: the lab is invalid (32 issues)');
    expect(lines).toContain(
      '  nodes[8].ip (test/fixtures/labs/seed-as-written.yaml:53): 10.42.253.20 is already the address of ' +
        'nodes[7] (compute1); every node and host needs its own address',
    );
    expect(
      lines.filter((line) => /^ {2}\S+ \(test\/fixtures\/labs\/seed-as-written\.yaml:\d+\): /.test(line)),
    ).toHaveLength(32);
  });

  it('prints the issues as JSON with --json', async () => {
    const overlay = join(fixtureLabs, 'broken', 'mac-duplicate.yaml');
    const lab = await materialiseOverlay(overlay);
    const { exitCode, stdout } = await runbook('validate', '--lab', lab, '--json').finally(() =>
      rmSync(dirname(lab), { recursive: true }),
    );
    expect(exitCode).toBe(1);
    // The duplicate is nodes[3]'s MAC: the line of master3 in the file the command read.
    const lines = (await overlaidLab(overlay)).text.split('\n');
    const master3 = lines.findIndex((line) => line.includes('name: master3')) + 1;
    expect(master3).toBeGreaterThan(0);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      source: lab,
      issues: [
        {
          path: 'nodes[3].mac',
          message:
            '52:54:00:79:f3:0f is already the MAC of nodes[2] (master2); DHCP and PXE tell machines apart by ' +
            'MAC, so each node needs its own',
          line: master3,
        },
      ],
    });
  });

  it('`runbook schema` prints lab.schema.json', async () => {
    const schema = await runbook('schema');
    expect(schema.exitCode).toBe(0);
    expect(`${schema.stdout}\n`).toBe(readFileSync(join(repoRoot, 'lab.schema.json'), 'utf8'));
  });
});
