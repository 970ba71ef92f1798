/**
 * `runbook sim status` on a bare lab, as a user asks it why nothing happens: the API is not up yet,
 * and a node powered on without its boot files says it is stuck in PXE and what it misses.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { virsh } from '../../support/sim-walkthrough.js';
import { startTestLab, type TestLab } from './support.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let t: TestLab;

beforeAll(async () => {
  t = await startTestLab('bare');
});
afterAll(async () => {
  await t?.stop();
});

describe('runbook sim status on a bare lab', () => {
  it('says the API is not up and why a powered-on node is stuck in PXE', async () => {
    await virsh(t.lab, t.ssh, 'start', 'compute5');
    const stateDir = path.dirname(t.sim.kubeconfigPath);
    const text = await execa('node', [path.join(repo, 'bin/runbook.js'), 'sim', 'status', '--state-dir', stateDir], {
      cwd: repo,
      env: { NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(text.stdout).toContain('API          the API answers 503 (not up yet: the bootstrap node has not booted)');
    expect(text.stdout).toMatch(/compute5\s+stuck\s+stuck in PXE: .*no DHCP lease for 52:54:00:e1:60:5b \(compute5\)/);
    expect(text.stdout).toMatch(/compute1\s+off\s+not registered/);
    const json = await execa(
      'node',
      [path.join(repo, 'bin/runbook.js'), 'sim', 'status', '--state-dir', stateDir, '--json'],
      { cwd: repo, env: { NO_COLOR: '1' }, timeout: 60_000 },
    );
    const status = JSON.parse(json.stdout) as {
      apiUp: boolean;
      nodes: Record<string, { boot: string; reason?: string }>;
    };
    expect(status.apiUp).toBe(false);
    expect(status.nodes.compute5).toEqual({ boot: 'stuck', reason: expect.stringContaining('no PXE config') });
  });
});
