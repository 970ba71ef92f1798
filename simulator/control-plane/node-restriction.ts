/**
 * OpenShift's rule for what a kubelet may do to Node objects, as a ValidatingAdmissionPolicy of
 * the real kube-apiserver (upstream NodeRestriction is off: it refuses the role labels OpenShift's
 * kubelets set at registration; README.md, "Node labels"). A node identity (`system:node:<name>`):
 * - creates, changes and deletes only its own Node;
 * - sets its `node-role.kubernetes.io/*` labels when it registers, and never changes them afterwards
 *   (OpenShift's patched NodeRestriction refuses that on update, so a node cannot make itself a master).
 */
import { apiRequest, applyAsLab, type ApiTarget } from './api-client.js';

export const NODE_POLICY_NAME = 'openshift-node-restriction';
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';
const NODE_PREFIX_LENGTH = 'system:node:'.length;

/** The role labels of a Node as `key=value` strings (CEL), none when it has no labels. */
const roleLabels = (object: string) =>
  `(has(${object}.metadata.labels) ? ${object}.metadata.labels.filter(k, k.startsWith('node-role.kubernetes.io/'))` +
  `.map(k, k + '=' + ${object}.metadata.labels[k]) : [])`;

export function nodeRestrictionPolicy(): object {
  const nodeName = `request.userInfo.username.substring(${NODE_PREFIX_LENGTH})`;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: NODE_POLICY_NAME },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: ['nodes', 'nodes/status'],
          },
        ],
      },
      matchConditions: [{ name: 'node-identity', expression: "request.userInfo.username.startsWith('system:node:')" }],
      // Evaluated only where referenced: there is no oldObject on CREATE, no object on DELETE.
      variables: [
        { name: 'newRoles', expression: roleLabels('object') },
        { name: 'oldRoles', expression: roleLabels('oldObject') },
      ],
      validations: [
        {
          expression: `request.name == ${nodeName}`,
          messageExpression: `'node "' + ${nodeName} + '" is not allowed to modify node "' + request.name + '"'`,
          reason: 'Forbidden',
        },
        {
          expression:
            "request.operation != 'UPDATE' || (variables.newRoles.all(l, l in variables.oldRoles) && " +
            'variables.oldRoles.all(l, l in variables.newRoles))',
          messageExpression: `'node "' + ${nodeName} + '" is not allowed to modify its node-role.kubernetes.io labels'`,
          reason: 'Forbidden',
        },
      ],
    },
  };
}

/** Installs the policy and its binding, and waits until kube-apiserver enforces it (a dry-run probe is refused). */
export async function installNodeRestriction(
  admin: ApiTarget,
  probeAs: ApiTarget,
  poll: (what: string, check: () => Promise<boolean>) => Promise<void>,
): Promise<void> {
  const apply = (path: string, body: object) => applyAsLab(admin, `${ADMISSION}/${path}`, body);
  await apply(`validatingadmissionpolicies/${NODE_POLICY_NAME}`, nodeRestrictionPolicy());
  await apply(`validatingadmissionpolicybindings/${NODE_POLICY_NAME}`, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: NODE_POLICY_NAME },
    spec: { policyName: NODE_POLICY_NAME, validationActions: ['Deny'] },
  });
  // The admission plugin picks policies up from an informer: probe until it refuses.
  await poll(`the ${NODE_POLICY_NAME} admission policy`, async () => {
    const reply = await apiRequest(probeAs, 'POST', '/api/v1/nodes?dryRun=All', {
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-restriction-probe-other' } },
    });
    return reply.status === 403 && reply.text.includes(NODE_POLICY_NAME);
  });
}
