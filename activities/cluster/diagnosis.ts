/**
 * Why a cluster wait paused (../engine/diagnosis.ts): for the CSR wait, the inventory nodes that filed
 * no request at all and the requests left pending with the reason each was refused (or denied by
 * someone); for the operator waits, each unsettled operator's conditions with their messages.
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { nodeFqdn } from '../../lab/schema.js';
import type { StepContext } from '../../contract/step.js';
import type { DiagnosisProbe, ProbeFinding } from '../engine/diagnosis.js';
import { kubeFor } from '../support/kube-access.js';
import { conditionOf, hasCondition, type Condition } from './conditions.js';
import { csrSubject } from './csr-flood.js';
import { loadX509 } from './x509.js';
import { csrViewOf, judgeCsr } from './csr-identity.js';
import { inventoryNodes, nodeObjectOf } from './waits.js';

/** Refused requests quoted one by one; more are counted (a flood). */
const QUOTED_REFUSALS = 8;

const conditionTrue = (csr: V1CertificateSigningRequest, type: string) =>
  (csr.status?.conditions ?? []).find((condition) => condition.type === type && condition.status === 'True');

/** The CSR wait's probe: who filed nothing, what was refused and why. */
export function csrDiagnosis(context: StepContext): DiagnosisProbe[] {
  return [
    {
      name: 'csrs',
      run: async () => {
        const kube = await kubeFor(context);
        const x509 = await loadX509();
        const nodes = inventoryNodes(context);
        const csrs = (await kube.certificates.listCertificateSigningRequest()).items;
        const objects = (await kube.core.listNode()).items;
        const findings: ProbeFinding[] = [];
        const subjects = csrs.map((csr) => csrSubject(x509, csr));
        const silent = nodes.filter(
          (node) =>
            !nodeObjectOf(context.lab, node, objects) &&
            !subjects.some((subject) =>
              [`system:node:${nodeFqdn(context.lab, node)}`, `system:node:${node.name}`].includes(subject),
            ),
        );
        if (silent.length)
          findings.push({
            verdict: 'problem',
            text:
              `no CSR at all from ${silent.map((node) => node.name).join(', ')} (and no Node object): ` +
              `${silent.length > 1 ? 'they have' : 'it has'} not reached the API; look at the console ` +
              '(booted? ignition fetched from api-int:22623? api-int resolving?)',
          });
        const refused: string[] = [];
        for (const csr of csrs) {
          const name = csr.metadata?.name ?? '?';
          const denied = conditionTrue(csr, 'Denied') ?? conditionTrue(csr, 'Failed');
          if (denied) {
            refused.push(
              `${name} (${csrSubject(x509, csr)}) ${denied.type.toLowerCase()}: ${denied.message || denied.reason || 'no reason given'}`,
            );
            continue;
          }
          if (conditionTrue(csr, 'Approved')) continue;
          const verdict = await judgeCsr(context.lab, csrViewOf(csr));
          if (!verdict.approve) refused.push(`${name} (${csrSubject(x509, csr)}) left pending: ${verdict.why}`);
        }
        for (const line of refused.slice(0, QUOTED_REFUSALS)) findings.push({ verdict: 'problem', text: line });
        if (refused.length > QUOTED_REFUSALS)
          findings.push({ verdict: 'problem', text: `${refused.length - QUOTED_REFUSALS} more requests refused` });
        if (findings.length === 0)
          findings.push({
            verdict: 'ok',
            text: `every node of the step filed a CSR and none was refused (${csrs.length} requests in all)`,
          });
        return findings;
      },
    },
  ];
}

const CONFIG = { group: 'config.openshift.io', version: 'v1', plural: 'clusteroperators' } as const;

function describe(condition: Condition | undefined, type: string): string {
  if (!condition) return `${type} not reported`;
  const why = [condition.reason, condition.message].filter(Boolean).join(': ');
  return `${type}=${condition.status}${why ? ` (${why})` : ''}`;
}

/** The operator waits' probe: every unsettled ClusterOperator (but those `except`) with its conditions. */
export function operatorDiagnosis(context: StepContext, except: readonly string[] = []): DiagnosisProbe[] {
  return [
    {
      name: 'operators',
      run: async () => {
        const { items } = (await (await kubeFor(context)).custom.listClusterCustomObject(CONFIG)) as {
          items: Array<{ metadata: { name: string } }>;
        };
        const unsettled = items.filter(
          (operator) =>
            !except.includes(operator.metadata.name) &&
            (!hasCondition(operator, 'Available') ||
              conditionOf(operator, 'Degraded')?.status !== 'False' ||
              conditionOf(operator, 'Progressing')?.status !== 'False'),
        );
        if (items.length === 0) return [{ verdict: 'problem', text: 'no ClusterOperator reported yet' }];
        if (unsettled.length === 0) return [{ verdict: 'ok', text: `all ${items.length} operators settled` }];
        return unsettled.map((operator) => ({
          verdict: 'problem' as const,
          text:
            `${operator.metadata.name}: ` +
            ['Available', 'Degraded', 'Progressing']
              .map((type) => describe(conditionOf(operator, type), type))
              .join('; '),
        }));
      },
    },
  ];
}
