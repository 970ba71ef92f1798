/**
 * LDAP login: the OAuth `cluster` resource with an LDAP identity provider, the Secret holding the
 * bind password and the ConfigMap holding the LDAP CA, both in openshift-config where the OAuth
 * server reads them (keys `bindPassword` and `ca.crt`).
 */
import type { Lab, Ldap } from '../lab/schema.js';
import { manifestFile } from './manifest.js';
import type { KubeObject } from './manifest.js';
import { secretSlot } from './secret-slots.js';
import type { RenderedFile, SecretSlot } from './types.js';

export const oauthConfigNamespace = 'openshift-config';

export function ldapBindPasswordSlot(ldap: Ldap): SecretSlot {
  return secretSlot('ldapBindPassword', ldap.bindPassword, 'base64');
}

export function ldapCaSlot(ldap: Ldap): SecretSlot | undefined {
  return ldap.ca === undefined ? undefined : secretSlot('ldapCa', ldap.ca);
}

export function oauthCluster(ldap: Ldap): KubeObject {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'OAuth',
    metadata: { name: 'cluster' },
    spec: {
      identityProviders: [
        {
          name: ldap.name,
          mappingMethod: ldap.mappingMethod,
          type: 'LDAP',
          ldap: {
            attributes: ldap.attributes,
            bindDN: ldap.bindDN,
            bindPassword: { name: ldap.secretName },
            ...(ldap.ca === undefined ? {} : { ca: { name: ldap.caConfigMapName } }),
            insecure: ldap.insecure,
            url: ldap.url,
          },
        },
      ],
    },
  };
}

/** The bind password Secret; `data.bindPassword` is a secret slot (base64 once filled). */
export function ldapBindSecret(ldap: Ldap): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ldap.secretName, namespace: oauthConfigNamespace },
    type: 'Opaque',
    data: { bindPassword: ldapBindPasswordSlot(ldap).placeholder },
  };
}

/** The CA ConfigMap, when the lab names a CA; `data["ca.crt"]` is a secret slot. */
export function ldapCaConfigMap(ldap: Ldap): KubeObject | undefined {
  const slot = ldapCaSlot(ldap);
  if (slot === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ldap.caConfigMapName, namespace: oauthConfigNamespace },
    data: { 'ca.crt': slot.placeholder },
  };
}

export function renderOauth(lab: Lab): RenderedFile[] {
  const ldap = lab.day2.ldap;
  if (ldap === undefined) return [];
  const ca = ldapCaConfigMap(ldap);
  const caSlot = ldapCaSlot(ldap);
  return [
    manifestFile(lab, [oauthCluster(ldap)], { path: 'cluster/ldap/oauth.yaml', artifact: 'ldap.oauth' }),
    manifestFile(lab, [ldapBindSecret(ldap)], {
      path: 'cluster/ldap/bind-password-secret.yaml',
      artifact: 'ldap.bind-secret',
      secrets: [ldapBindPasswordSlot(ldap)],
    }),
    ...(ca === undefined || caSlot === undefined
      ? []
      : [
          manifestFile(lab, [ca], {
            path: 'cluster/ldap/ca-configmap.yaml',
            artifact: 'ldap.ca-configmap',
            secrets: [caSlot],
          }),
        ]),
  ];
}
