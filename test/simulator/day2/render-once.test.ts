/**
 * The seed's infra pool and its configs applied in one go with kubectl make one rendered-infra
 * config, as the MCO's render controller (which waits for a pool's configs to settle) makes it.
 * The lab clock runs at 1/5 of real time so that the five seconds the MCO waits are a real second.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { KubeObject } from '../../../simulator/apiserver/store.js';
import { startTestLab, type TestLab } from '../install/support.js';
import { infraPool, toInfraMachineConfigs } from './seed-infra.js';

let t: TestLab;

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await execa('kubectl', ['--kubeconfig', t.sim.kubeconfigPath, ...args], {
    timeout: 120_000,
    ...(input ? { input } : {}),
  });
  return result.stdout;
}

beforeAll(async () => {
  t = await startTestLab('installed', { timeScale: 0.2 });
});

afterAll(async () => {
  await t?.stop();
});

describe('the render controller', () => {
  it('renders one rendered-infra config for the pool and configs applied together', async () => {
    const machineConfigs = JSON.parse(await kubectl(['get', 'mc', '-o', 'json'])) as { items: KubeObject[] };
    const list = { apiVersion: 'v1', kind: 'List', items: [infraPool, ...toInfraMachineConfigs(machineConfigs.items)] };
    expect(list.items).toHaveLength(6);
    await kubectl(['apply', '--validate=false', '-f', '-'], JSON.stringify(list));
    await kubectl(['wait', 'mcp/infra', '--for=condition=Updated', '--timeout=60s']);
    const rendered = (await kubectl(['get', 'mc', '-o', 'name']))
      .split('\n')
      .filter((name) => name.includes('/rendered-infra-'));
    expect(rendered).toHaveLength(1);
    expect(await kubectl(['get', 'mcp', 'infra', '-o', 'jsonpath={.status.configuration.name}'])).toBe(
      rendered[0]!.split('/')[1],
    );
  });
});
