/** The infra pool, the worker → infra MachineConfig copy, and the router placement patch. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { infraMachineConfigPool, ingressPlacementPatch, workerToInfraMachineConfigs } from '../../render/infra.js';
import { toYaml } from '../../render/manifest.js';
import { expectGolden } from '../support/golden.js';
import { loadExampleLab } from './example.js';

const dump = parse(readFileSync(join(import.meta.dirname, 'fixtures', 'worker-machineconfigs.yaml'), 'utf8')) as {
  items: object[];
};
const lab = await loadExampleLab();

function fileSource(config: unknown, path: string): string {
  const files = (
    config as { spec: { config: { storage: { files: Array<{ path: string; contents: { source: string } }> } } } }
  ).spec.config.storage.files;
  return files.find((file) => file.path === path)?.contents.source ?? '';
}

describe('workerToInfraMachineConfigs', () => {
  const before = structuredClone(dump.items);
  const infra = workerToInfraMachineConfigs(dump.items);

  test('matches its golden file', () => {
    expectGolden('machineconfigs/infra-from-worker.yaml', infra.map(toYaml).join('---\n'));
  });

  test('keeps the worker configs, renamed, and drops rendered and master ones', () => {
    expect(infra.map((config) => config.metadata.name)).toEqual([
      '00-infra',
      '01-infra-container-runtime',
      '99-infra-ad9f8790-f270-11e9-a34e-525400e1605b-registries',
      '99-infra-ssh',
    ]);
    expect(
      infra.every((config) => config.metadata.labels?.['machineconfiguration.openshift.io/role'] === 'infra'),
    ).toBe(true);
  });

  test('strips what the server and the MCO set', () => {
    const text = JSON.stringify(infra);
    for (const field of [
      'creationTimestamp',
      'generation',
      'ownerReferences',
      'resourceVersion',
      'selfLink',
      'uid',
      'generated-by',
      'status',
    ]) {
      expect(text).not.toContain(`"${field}`);
    }
    expect(infra.every((config) => config.metadata.annotations === undefined)).toBe(true);
  });

  test('relabels the kubelet role, also inside data URLs, and leaves other mentions of worker alone', () => {
    const [first] = infra;
    const kubelet = (first as unknown as { spec: { config: { systemd: { units: Array<{ contents: string }> } } } }).spec
      .config.systemd.units[0]?.contents;
    expect(kubelet).toContain('--node-labels=node-role.kubernetes.io/infra,node.openshift.io/os_id=${ID}');
    const crio = fileSource(first, '/etc/crio/crio.conf');
    const decoded = Buffer.from(crio.split(',')[1] ?? '', 'base64').toString('utf8');
    expect(decoded).toContain('# kubelet flag node-role.kubernetes.io/infra is set');
    expect(crio.startsWith('data:text/plain;charset=utf-8;base64,')).toBe(true);
    expect(fileSource(first, '/etc/nginx/nginx.conf')).toBe(fileSource(dump.items[0], '/etc/nginx/nginx.conf'));
    expect(JSON.stringify(infra)).toContain('worker-admin@example.com');
  });

  test('does not modify its input', () => {
    expect(dump.items).toEqual(before);
  });
});

describe('infra pool and routers', () => {
  test('the pool inherits worker configs by default, or selects infra ones for copies', () => {
    expect(infraMachineConfigPool().spec).toEqual({
      machineConfigSelector: {
        matchExpressions: [
          { key: 'machineconfiguration.openshift.io/role', operator: 'In', values: ['worker', 'infra'] },
        ],
      },
      nodeSelector: { matchLabels: { 'node-role.kubernetes.io/infra': '' } },
      paused: false,
    });
    expect(infraMachineConfigPool('copy').spec).toMatchObject({
      machineConfigSelector: { matchLabels: { 'machineconfiguration.openshift.io/role': 'infra' } },
    });
  });

  test('router replicas default to the number of infra nodes; no patch when routers stay', () => {
    const { routerReplicas: _replicas, ...infraWithoutReplicas } = lab.day2.infra ?? {
      moveRouters: true,
      nodeDeadline: '30m',
    };
    const defaulted = {
      ...lab,
      day2: { ...lab.day2, infra: { ...infraWithoutReplicas, nodes: ['infra1', 'infra2'] } },
    };
    expect(ingressPlacementPatch(defaulted)?.patch).toMatchObject({ spec: { replicas: 2 } });
    expect(
      ingressPlacementPatch({ ...lab, day2: { ...lab.day2, infra: { ...infraWithoutReplicas, moveRouters: false } } }),
    ).toBeUndefined();
  });
});
