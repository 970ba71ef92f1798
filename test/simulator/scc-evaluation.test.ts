/**
 * The SCC evaluation both the hand-written server and the real control plane's webhook use: which SCC
 * admits a pod, the run-as user strategies, RBAC grants, the platform namespaces' rule, and the refusal.
 */
import { describe, expect, it } from '@jest/globals';
import { currentDefaultSccs } from '../../simulator/control-plane/default-sccs.js';
import type { PodSpec } from '../../simulator/controllers/pod-spec.js';
import { evaluateSccs, serviceAccountSubject, type SccObject } from '../../simulator/scc-evaluation.js';

const sccs = currentDefaultSccs() as SccObject[];
const app = serviceAccountSubject('shop', 'app');
const container = (securityContext: Record<string, unknown> = {}) => ({ name: 'main', image: 'x', securityContext });
const judge = (spec: PodSpec, extra: Partial<Parameters<typeof evaluateSccs>[1]> = {}) =>
  evaluateSccs(sccs, { podName: 'web-', namespace: 'shop', spec, subjects: [app], ...extra });

describe('evaluateSccs', () => {
  it('admits a plain pod under restricted-v2 when RBAC grants it, and refuses it with no grant at all', () => {
    const spec = { containers: [container()] };
    expect(judge(spec, { grantedByRbac: new Set(['restricted-v2']) })).toEqual({ allowed: true, scc: 'restricted-v2' });
    const refused = judge(spec);
    expect(refused.allowed).toBe(false);
    expect(refused).toMatchObject({
      message: expect.stringMatching(
        /^pods "web-" is forbidden: unable to validate against any security context constraint: \[provider "anyuid": /,
      ),
    });
  });

  it('picks the most restrictive usable SCC that fits, after priority', () => {
    const everything = new Set(sccs.map((scc) => scc.metadata.name));
    // anyuid has priority 10: it wins over the priority-less SCCs whenever it fits.
    expect(judge({ containers: [container()] }, { grantedByRbac: everything })).toEqual({
      allowed: true,
      scc: 'anyuid',
    });
    const hostNetwork = { hostNetwork: true, containers: [container()] };
    const withoutAnyuid = new Set([...everything].filter((name) => name !== 'anyuid'));
    expect(judge(hostNetwork, { grantedByRbac: withoutAnyuid })).toEqual({ allowed: true, scc: 'hostnetwork-v2' });
  });

  it("checks the run-as user: the namespace's range, non-root, and any", () => {
    const root = { containers: [container({ runAsUser: 0 })] };
    const range = '1000650000/10000';
    const restricted = judge(root, { grantedByRbac: new Set(['restricted-v2']), namespaceUidRange: range });
    expect(restricted).toMatchObject({
      message: expect.stringContaining(
        'spec.containers[0].securityContext.runAsUser: Invalid value: 0: must be in the ranges: [1000650000, 1000659999]',
      ),
    });
    const inRange = { containers: [container({ runAsUser: 1000650001 })] };
    expect(judge(inRange, { grantedByRbac: new Set(['restricted-v2']), namespaceUidRange: range }).allowed).toBe(true);
    expect(judge(root, { grantedByRbac: new Set(['nonroot-v2']) })).toMatchObject({
      message: expect.stringContaining('Invalid value: 0: running with the root UID is forbidden'),
    });
    expect(judge(root, { grantedByRbac: new Set(['anyuid']) })).toEqual({ allowed: true, scc: 'anyuid' });
  });

  it("counts an SCC's users and groups, and admits platform pods under the first SCC that fits", () => {
    const privileged = { containers: [container({ privileged: true })] };
    const granted = sccs.map((scc) =>
      scc.metadata.name === 'privileged' ? { ...scc, users: [...(scc.users as string[]), app.user] } : scc,
    );
    expect(evaluateSccs(granted, { podName: 'web-', namespace: 'shop', spec: privileged, subjects: [app] })).toEqual({
      allowed: true,
      scc: 'privileged',
    });
    const operator = serviceAccountSubject('openshift-ingress', 'router');
    expect(
      evaluateSccs(sccs, {
        podName: 'router-',
        namespace: 'openshift-ingress',
        spec: privileged,
        subjects: [operator],
        platform: true,
      }),
    ).toEqual({ allowed: true, scc: 'privileged' });
  });
});
