/**
 * A MachineConfigPool whose nodeSelector is empty takes no node, as the MCO's node controller reads
 * it ("a nil or empty selector … should match nothing, not everything"): created with kubectl on the
 * installed lab, it stays at 0 machines and the worker pool keeps its nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startTestLab, waitFor, type TestLab } from '../install/support.js';

const MCP = 'machineconfigpools.machineconfiguration.openshift.io';
let t: TestLab;

beforeAll(async () => {
  t = await startTestLab('installed');
});
afterAll(async () => {
  await t?.stop();
});

const machineCount = (pool: KubeObject | undefined) =>
  (pool?.status as { machineCount?: number } | undefined)?.machineCount;

describe('MachineConfigPool node selection', () => {
  it('gives a pool with an empty nodeSelector no node', async () => {
    const workers = machineCount(t.sim.store.get(MCP, undefined, 'worker'));
    expect(workers).toBeGreaterThan(0);
    const empty = {
      apiVersion: 'machineconfiguration.openshift.io/v1',
      kind: 'MachineConfigPool',
      metadata: { name: 'infra' },
      spec: {
        machineConfigSelector: {
          matchExpressions: [
            { key: 'machineconfiguration.openshift.io/role', operator: 'In', values: ['worker', 'infra'] },
          ],
        },
        nodeSelector: {},
      },
    };
    await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, 'create', '-f', '-'], {
      input: stringify(empty),
      timeout: 30_000,
    });
    const counted = await waitFor(t.sim.store, 'infra pool status written', () => {
      const count = machineCount(t.sim.store.get(MCP, undefined, 'infra'));
      return count === undefined ? undefined : { count };
    });
    expect(counted.count).toBe(0);
    expect(machineCount(t.sim.store.get(MCP, undefined, 'worker'))).toBe(workers);
  });
});
