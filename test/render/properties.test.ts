/**
 * Property-style: labs derived from the example with other subnets (/16../28), node counts and
 * BIOS/UEFI mixes are valid, render the same bytes twice, render YAML that parses and a boot
 * config, lease and DNS names for every node; on a bounded number of them the real checkers pass.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { validateLab } from '../../lab/validate.js';
import type { Lab } from '../../lab/schema.js';
import { dnsZones } from '../../render/dns.js';
import { renderAll } from '../../render/index.js';
import { pxeConfigPath } from '../../render/pxe.js';
import { testWithTool } from '../support/checkers.js';
import { variantLab, variantShape } from './lab-variants.js';
import { checkDhcpd, checkHaproxy, checkNamedConf, expectPassed } from './support.js';

function validLab(input: unknown): Lab {
  const result = validateLab(input);
  if (!result.ok)
    throw new Error(
      `generated lab is invalid:\n${result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('\n')}`,
    );
  return result.lab;
}

const validVariant = variantShape.map((shape) => validLab(variantLab(shape)));

describe('labs derived from the example', () => {
  test('render the same bytes twice, YAML that parses, and every node everywhere', () => {
    fc.assert(
      fc.property(validVariant, (lab) => {
        const files = renderAll(lab);
        expect(renderAll(lab)).toEqual(files);
        for (const file of files.filter((candidate) => /\.ya?ml$/.test(candidate.path))) {
          const errors = parseAllDocuments(file.content).flatMap((document) =>
            'errors' in document ? document.errors : [document],
          );
          expect({ path: file.path, errors }).toEqual({ path: file.path, errors: [] });
        }
        const dhcp = files.find((file) => file.artifact === 'dhcp.config')?.content ?? '';
        const zones = dnsZones(lab);
        const ptrs = zones.filter((zone) => zone.artifact === 'dns.reverse-zone').flatMap((zone) => zone.records);
        for (const node of lab.nodes) {
          expect(files.filter((file) => file.path === `pxe/pxe/${pxeConfigPath(node)}`)).toHaveLength(1);
          expect(dhcp).toContain(
            `host ${node.name} {\n    hardware ethernet ${node.mac};\n    fixed-address ${node.ip};`,
          );
          expect(zones[0]?.records).toContainEqual({ owner: node.name, type: 'A', data: node.ip });
          expect(ptrs.filter((record) => record.data === `${node.name}.${lab.cluster.nodesDomain}.`)).toHaveLength(1);
        }
      }),
      { numRuns: 25 },
    );
  });

  test('reverse zones follow the prefix', () => {
    fc.assert(
      fc.property(validVariant, (lab) => {
        const prefix = Number(lab.network.cidr.split('/')[1]);
        const reverse = dnsZones(lab).filter((zone) => zone.artifact === 'dns.reverse-zone');
        const expected = prefix === 16 ? 1 : prefix <= 24 ? 2 ** (24 - prefix) : 1;
        expect(reverse).toHaveLength(expected);
        const labels = prefix <= 16 ? 4 : 5;
        for (const zone of reverse) expect(zone.name.split('.')).toHaveLength(labels);
      }),
      { numRuns: 30 },
    );
  });
});

describe('labs derived from the example, through the real checkers', () => {
  const dir = mkdtemp(join(tmpdir(), 'runbook-render-props-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));
  // A handful of runs: each starts three checkers, and /17 subnets load 128 reverse zones.
  const runs = { numRuns: 8 } as const;
  let run = 0;

  for (const tool of ['named-checkconf', 'dhcpd', 'haproxy'] as const) {
    testWithTool(
      tool,
      `${tool} accepts what they render`,
      async (path) => {
        await fc.assert(
          fc.asyncProperty(validVariant, async (lab) => {
            const work = join(await dir, `${tool}-${run++}`);
            const files = renderAll(lab);
            if (tool === 'named-checkconf')
              expectPassed(await checkNamedConf(path, work, lab), `named-checkconf -z for ${lab.network.cidr}`);
            if (tool === 'dhcpd') {
              const content = files.find((file) => file.artifact === 'dhcp.config')?.content ?? '';
              expectPassed(await checkDhcpd(path, work, content), `dhcpd -t for ${lab.network.cidr}`);
            }
            if (tool === 'haproxy') {
              for (const file of files.filter((candidate) => candidate.host === 'haproxy1')) {
                expectPassed(
                  await checkHaproxy(path, work, file.artifact, file.content),
                  `haproxy -c ${file.artifact} for ${lab.network.cidr}`,
                );
              }
            }
          }),
          runs,
        );
      },
      60_000,
    );
  }
});
