/**
 * OpenShift's SCC admission for the real control plane: a validating admission webhook the simulator
 * serves on loopback (HTTPS, a certificate of the lab CA), registered with `clientConfig.url` (never a
 * Service: nothing routes to the service network). kube-apiserver sends it every pod CREATE; it judges
 * the pod with scc-evaluation.ts against the SCCs it reads from the real server, for both the requester
 * and the pod's service account, counting an SCC usable when its `users`/`groups` name them (what `oc adm
 * policy add-scc-to-user` writes) or when RBAC lets them `use` it (a SubjectAccessReview per SCC).
 * failurePolicy Fail: a webhook that does not answer refuses pods, so it cannot go unnoticed.
 * Validating only: OpenShift's plugin also mutates (defaults the run-as user, annotates `openshift.io/scc`);
 * that part is not reproduced.
 */
import { createServer, type Server } from 'node:https';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { PodSpec } from '../controllers/pod-spec.js';
import {
  evaluateSccs,
  grantedDirectly,
  isPlatformNamespace,
  serviceAccountSubject,
  type SccObject,
  type SccSubject,
} from '../scc-evaluation.js';
import { apiCall, apiRequest, applyAsLab, type ApiTarget } from './api-client.js';
import type { CertifiedKey } from './pki.js';

export const SCC_WEBHOOK_NAME = 'security-context-constraints.security.openshift.io';
const WEBHOOK_PATH = '/validate/pods/scc';
const LOOPBACK = '127.0.0.1';

interface AdmissionRequest {
  uid: string;
  namespace: string;
  operation: string;
  userInfo: { username: string; groups?: string[] };
  object: { metadata?: { name?: string; generateName?: string }; spec: PodSpec };
}

export interface SccWebhook {
  url: string;
  /** How many admission reviews it has answered (readiness: kube-apiserver calls it). */
  reviews(): number;
  close(): Promise<void>;
}

/** SCCs a subject may `use` in the namespace through RBAC, by SubjectAccessReview to the real server. */
async function grantedByRbac(
  admin: ApiTarget,
  namespace: string,
  sccs: readonly SccObject[],
  subjects: readonly SccSubject[],
): Promise<Set<string>> {
  const checks = sccs
    .filter((scc) => !grantedDirectly(scc, subjects))
    .flatMap((scc) => subjects.map((subject) => ({ scc: scc.metadata.name, subject })));
  const answers = await Promise.all(
    checks.map(async ({ scc, subject }) => {
      const review = (await apiCall(admin, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: subject.user,
            groups: subject.groups,
            resourceAttributes: {
              namespace,
              verb: 'use',
              group: 'security.openshift.io',
              resource: 'securitycontextconstraints',
              name: scc,
            },
          },
        },
      })) as { status?: { allowed?: boolean } };
      return review.status?.allowed ? scc : undefined;
    }),
  );
  return new Set(answers.filter((scc) => scc !== undefined));
}

async function review(admin: ApiTarget, request: AdmissionRequest): Promise<object> {
  const pod = request.object;
  const namespace = request.namespace;
  const serviceAccount = pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
  const subjects: SccSubject[] = [
    { user: request.userInfo.username, groups: request.userInfo.groups ?? [] },
    serviceAccountSubject(namespace, serviceAccount),
  ];
  const [list, ns] = await Promise.all([
    apiCall(admin, 'GET', '/apis/security.openshift.io/v1/securitycontextconstraints') as Promise<{
      items: SccObject[];
    }>,
    apiCall(admin, 'GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`) as Promise<{
      metadata: { annotations?: Record<string, string> };
    }>,
  ]);
  const platform = isPlatformNamespace(namespace);
  const admission = evaluateSccs(list.items, {
    podName: pod.metadata?.name || pod.metadata?.generateName || '',
    namespace,
    spec: pod.spec,
    subjects,
    namespaceUidRange: ns.metadata.annotations?.['openshift.io/sa.scc.uid-range'],
    grantedByRbac: platform ? new Set() : await grantedByRbac(admin, namespace, list.items, subjects),
    platform,
  });
  return admission.allowed
    ? { uid: request.uid, allowed: true }
    : { uid: request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: admission.message } };
}

/** Serves the webhook on a free loopback port; `admin` reads SCCs and asks RBAC. */
export async function startSccWebhook(tls: CertifiedKey, admin: ApiTarget): Promise<SccWebhook> {
  let reviews = 0;
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          if (req.method !== 'POST' || req.url?.split('?')[0] !== WEBHOOK_PATH) {
            res.writeHead(404).end();
            return;
          }
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            apiVersion: string;
            kind: string;
            request: AdmissionRequest;
          };
          const response = await review(admin, body.request);
          reviews += 1;
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ apiVersion: body.apiVersion, kind: body.kind, response }));
        } catch (error) {
          // An answer kube-apiserver cannot use: with failurePolicy Fail the pod is refused, naming this.
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`the SCC admission webhook failed: ${(error as Error).message}`);
        }
      })();
    });
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${LOOPBACK}:${port}${WEBHOOK_PATH}`,
    reviews: () => reviews,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The ValidatingWebhookConfiguration that sends every pod CREATE to the webhook at `url`. */
export function sccWebhookConfiguration(url: string, caPem: string): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'security-context-constraints' },
    webhooks: [
      {
        name: SCC_WEBHOOK_NAME,
        clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
        rules: [
          { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
        ],
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 10,
      },
    ],
  };
}

/**
 * Registers the webhook and waits until kube-apiserver calls it: a dry-run pod of `probeAs` (a service
 * account that exists already, so the probe need not wait for kube-controller-manager to create the
 * `default` ones); admitted or not, the webhook has answered it (without SCCs yet, it is refused).
 */
export async function registerSccWebhook(
  admin: ApiTarget,
  webhook: SccWebhook,
  caPem: string,
  probeAs: { namespace: string; name: string },
  poll: (what: string, check: () => Promise<boolean>) => Promise<void>,
): Promise<void> {
  await applyAsLab(
    admin,
    '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/security-context-constraints',
    sccWebhookConfiguration(webhook.url, caPem),
  );
  await poll('the SCC admission webhook', async () => {
    const before = webhook.reviews();
    const reply = await apiRequest(admin, 'POST', `/api/v1/namespaces/${probeAs.namespace}/pods?dryRun=All`, {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'scc-admission-probe' },
        spec: {
          serviceAccountName: probeAs.name,
          containers: [{ name: 'probe', image: 'registry.invalid/probe' }],
        },
      },
    });
    return webhook.reviews() > before && (reply.status === 201 || reply.status === 403);
  });
}
