/**
 * The authentication operator: it turns the `cluster` OAuth config into the oauth-openshift
 * Deployment of openshift-authentication. A change of the OAuth spec changes the pod template, so
 * the Deployment rolls (new pods, old ones terminating) and the `authentication` ClusterOperator
 * reports Progressing until every pod runs the new config. An identity provider that names a Secret
 * or ConfigMap missing from openshift-config makes it Degraded, naming what is missing, and nothing
 * rolls until it is there.
 */
import type { KubeObject } from '../apiserver/store.js';
import type { Controller, SimContext } from '../context.js';
import { R, isTrue } from '../openshift-objects.js';
import { templateHash } from './hash.js';
import type { InstallProgress } from './install.js';
import {
  currentOperatorState,
  nodesWaitReason,
  sameState,
  writeOperatorState,
  type OperatorState,
} from './operators.js';
import { startLoop } from './loop.js';

export const OAUTH_NAMESPACE = 'openshift-authentication';
export const OAUTH_DEPLOYMENT = 'oauth-openshift';
export const CONFIG_NAMESPACE = 'openshift-config';
/** The pod-template annotation that carries the hash of the OAuth spec the pods run with. */
export const SPEC_HASH_ANNOTATION = 'operator.openshift.io/spec-hash';

/** Fields of an identity provider that name a Secret or ConfigMap in openshift-config, and the key it must hold. */
const REFERENCES: Record<string, { resource: typeof R.secrets | typeof R.configmaps; key: string }> = {
  bindPassword: { resource: R.secrets, key: 'bindPassword' },
  fileData: { resource: R.secrets, key: 'htpasswd' },
  clientSecret: { resource: R.secrets, key: 'clientSecret' },
  tlsClientCert: { resource: R.secrets, key: 'tls.crt' },
  tlsClientKey: { resource: R.secrets, key: 'tls.key' },
  ca: { resource: R.configmaps, key: 'ca.crt' },
};

/** The field of an identity provider that holds its settings, per `type` (config/v1 IdentityProviderConfig). */
const PROVIDER_FIELDS: Record<string, string> = {
  LDAP: 'ldap',
  HTPasswd: 'htpasswd',
  OpenID: 'openID',
  GitHub: 'github',
  GitLab: 'gitlab',
  Google: 'google',
  Keystone: 'keystone',
  BasicAuth: 'basicAuth',
  RequestHeader: 'requestHeader',
};

interface IdentityProvider {
  name?: string;
  type?: string;
  [provider: string]: unknown;
}

/** What the identity providers of `spec` reference and is missing; empty when all is there. */
export function missingReferences(ctx: SimContext, spec: { identityProviders?: IdentityProvider[] }): string[] {
  const missing: string[] = [];
  for (const provider of spec.identityProviders ?? []) {
    const type = provider.type ?? '';
    const config = (provider[PROVIDER_FIELDS[type] ?? ''] ?? {}) as Record<string, unknown>;
    for (const [field, reference] of Object.entries(REFERENCES)) {
      const name = (config[field] as { name?: string } | undefined)?.name;
      if (!name) continue;
      const kind = reference.resource === R.secrets ? 'secret' : 'configmap';
      const object = ctx.api.get(reference.resource, CONFIG_NAMESPACE, name);
      const data = { ...((object?.data ?? {}) as object), ...((object?.stringData ?? {}) as object) } as Record<
        string,
        unknown
      >;
      if (!object) missing.push(`${kind} "${name}" not found in namespace ${CONFIG_NAMESPACE}`);
      else if (data[reference.key] === undefined)
        missing.push(`${kind} "${name}" in ${CONFIG_NAMESPACE} has no key "${reference.key}"`);
    }
  }
  return missing;
}

/** The oauth-openshift Deployment for an OAuth spec (2 replicas on the masters, as OpenShift 4.2). */
export function oauthDeploymentObject(specHash: string): KubeObject {
  const labels = { app: 'oauth-openshift' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: OAUTH_DEPLOYMENT, namespace: OAUTH_NAMESPACE, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { name: 'oauth-openshift', labels, annotations: { [SPEC_HASH_ANNOTATION]: specHash } },
        spec: {
          serviceAccountName: 'oauth-openshift',
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'node-role.kubernetes.io/master': '' },
          tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name: 'oauth-openshift',
              image: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:oauth-server',
              command: [
                'oauth-server',
                'osinserver',
                '--config=/var/config/system/configmaps/v4-0-config-system-cliconfig/v4-0-config-system-cliconfig',
              ],
              ports: [{ name: 'https', containerPort: 6443, protocol: 'TCP' }],
            },
          ],
        },
      },
    },
  };
}

export function oauthSpecHash(oauth: KubeObject | undefined): string {
  return templateHash(oauth?.spec ?? {});
}

/** Creates the authentication operator's objects (service account, Deployment) for the current OAuth spec. */
export async function ensureOauthServer(ctx: SimContext): Promise<void> {
  const { api } = ctx;
  if (!api.get('serviceaccounts', OAUTH_NAMESPACE, 'oauth-openshift')) {
    await api.create('serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'oauth-openshift', namespace: OAUTH_NAMESPACE },
    });
  }
  if (!api.get(R.deployments, OAUTH_NAMESPACE, OAUTH_DEPLOYMENT)) {
    await api.create(R.deployments, oauthDeploymentObject(oauthSpecHash(api.get(R.oauths, undefined, 'cluster'))));
  }
}

/** The authentication operator's state from the rollout of oauth-openshift. */
function rolloutState(deployment: KubeObject): OperatorState | undefined {
  const status = deployment.status as
    | { replicas?: number; updatedReplicas?: number; availableReplicas?: number; observedGeneration?: number }
    | undefined;
  if (!status) return undefined;
  const wanted = (deployment.spec as { replicas?: number }).replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const rolling =
    (status.observedGeneration ?? 0) < (deployment.metadata.generation ?? 0) ||
    updated < wanted ||
    (status.replicas ?? 0) > wanted;
  const available = (status.availableReplicas ?? 0) > 0 && isTrue(deployment, 'Available');
  const where = `deployment/${OAUTH_DEPLOYMENT}.${OAUTH_NAMESPACE}`;
  if (rolling) {
    return {
      available,
      progressing: true,
      degraded: false,
      message: `OAuthServerDeploymentProgressing: ${where}: ${updated}/${wanted} pods have been updated to the latest generation`,
    };
  }
  return available
    ? { available: true, progressing: false, degraded: false, message: '' }
    : {
        available: false,
        progressing: false,
        degraded: false,
        message: `OAuthServerDeploymentAvailable: ${where}: no pod is available`,
      };
}

export function oauthController(deps: { progress: InstallProgress }): Controller {
  return (ctx) => {
    const { api, lab, faults } = ctx;
    const loop = startLoop(ctx, 'authentication operator', {
      resources: [R.oauths, R.secrets, R.configmaps, R.deployments, R.nodes],
      pass: async () => {
        if (!deps.progress.apiUp) return;
        await ensureOauthServer(ctx);
        const oauth = api.get(R.oauths, undefined, 'cluster');
        const deployment = api.get(R.deployments, OAUTH_NAMESPACE, OAUTH_DEPLOYMENT)!;
        const missing = oauth
          ? missingReferences(ctx, (oauth.spec ?? {}) as { identityProviders?: IdentityProvider[] })
          : [];
        const template = (deployment.spec as { template: { metadata: { annotations?: Record<string, string> } } })
          .template;
        const hash = oauthSpecHash(oauth);
        if (missing.length === 0 && template.metadata.annotations?.[SPEC_HASH_ANNOTATION] !== hash) {
          await api.mutate(R.deployments, OAUTH_NAMESPACE, OAUTH_DEPLOYMENT, (draft) => {
            const annotations = ((
              draft.spec as typeof deployment.spec & {
                template: { metadata: { annotations?: Record<string, string> } };
              }
            ).template.metadata.annotations ??= {});
            annotations[SPEC_HASH_ANNOTATION] = hash;
          });
          return; // the Deployment change brings the next pass
        }

        const waiting = nodesWaitReason(api, lab, 'authentication');
        let state: OperatorState | undefined = waiting
          ? { available: false, progressing: true, degraded: false, message: waiting }
          : rolloutState(deployment);
        if (!state) return;
        if (missing.length > 0) {
          state = {
            ...state,
            progressing: false,
            degraded: true,
            message: `OAuthServerConfigObservationDegraded: failed to apply IDP config: ${missing.join('; ')}`,
          };
        }
        if (faults.find('operator-degraded', (fault) => fault.operator === 'authentication')) {
          state = { ...state, degraded: true, message: 'authentication is stuck Degraded (operator-degraded fault)' };
        }
        const current = currentOperatorState(api.get(R.clusteroperators, undefined, 'authentication'));
        if (!sameState(current, state)) await writeOperatorState(ctx, 'authentication', state);
      },
    });
    deps.progress.on('api-up', loop.kick);
    return () => {
      deps.progress.off('api-up', loop.kick);
      loop.stop();
    };
  };
}
