/**
 * Who is asking. The kubeconfig's bearer token is the installer's `system:admin` (groups
 * system:masters, system:authenticated), who may impersonate anyone with the `Impersonate-User`,
 * `Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>` headers (`kubectl --as …
 * --as-group … --as-uid …`), with kube-apiserver's rules: a service account gets its groups when none
 * are given, every non-anonymous user gets system:authenticated.
 *
 * Create-time admission that depends on the requester lives here too, so that the simulator's own
 * controllers file objects through the same path as clients: a CertificateSigningRequest's
 * spec.username, uid, groups and extra are the requester's, whatever the body says.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest } from './errors.js';
import type { KubeObject, ObjectStore } from './store.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN_USER: UserInfo = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** A service account's identity, as its token authenticates it. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** A node's kubelet, with its client certificate (CN=system:node:<name>, O=system:nodes). */
export function nodeUser(nodeName: string): UserInfo {
  return { username: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] };
}

/** The bootstrap kubeconfig of a UPI node's kubelet. */
export const NODE_BOOTSTRAPPER_USER = serviceAccountUser('openshift-machine-config-operator', 'node-bootstrapper');

/** Every value of a header sent several times (kubectl sends one Impersonate-Group per group). */
function headerValues(req: IncomingMessage, name: string): string[] {
  return (req.headersDistinct[name] ?? []).map((item) => item.trim()).filter(Boolean);
}

/** The identity `authenticated` acts as, after the request's Impersonate-* headers. */
export function impersonate(req: IncomingMessage, authenticated: UserInfo): UserInfo {
  const [username, ...more] = headerValues(req, 'impersonate-user');
  const groups = headerValues(req, 'impersonate-group');
  const uid = req.headers['impersonate-uid'];
  const extraHeaders = Object.keys(req.headers).filter((name) => name.startsWith('impersonate-extra-'));
  if (username === undefined) {
    if (groups.length || uid !== undefined || extraHeaders.length)
      throw badRequest(
        'requested impersonation of groups, uid or extra without impersonating a user (Impersonate-User)',
      );
    return authenticated;
  }
  if (more.length > 0) throw badRequest('only one Impersonate-User may be given');
  const account = SERVICE_ACCOUNT.exec(username);
  const user: UserInfo = {
    username,
    groups: groups.length === 0 && account ? serviceAccountUser(account[1]!, account[2]!).groups : [...groups],
  };
  if (
    username !== 'system:anonymous' &&
    !user.groups.some((g) => g === 'system:authenticated' || g === 'system:unauthenticated')
  )
    user.groups.push('system:authenticated');
  if (typeof uid === 'string' && uid !== '') user.uid = uid;
  if (extraHeaders.length) {
    user.extra = Object.fromEntries(
      extraHeaders.map((name) => [
        decodeURIComponent(name.slice('impersonate-extra-'.length)),
        headerValues(req, name),
      ]),
    );
  }
  return user;
}

const requesters = new WeakMap<IncomingMessage, UserInfo>();

/** Records who an authenticated request acts as (validating its Impersonate-* headers). */
export function authenticate(req: IncomingMessage, authenticated: UserInfo): UserInfo {
  const user = impersonate(req, authenticated);
  requesters.set(req, user);
  return user;
}

/** Who a request acts as; the admin for requests not authenticated through `authenticate`. */
export function requesterOf(req: IncomingMessage): UserInfo {
  return requesters.get(req) ?? ADMIN_USER;
}

/** Create-time admission that depends on the requester (CSR spec.username, uid, groups, extra). */
export function admitCreate(resource: string, obj: KubeObject, user: UserInfo): void {
  if (resource !== 'certificatesigningrequests.certificates.k8s.io') return;
  const spec = (obj.spec ??= {}) as Record<string, unknown>;
  spec.username = user.username;
  spec.groups = [...user.groups];
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  if (user.extra) spec.extra = structuredClone(user.extra);
  else delete spec.extra;
}

/** Creates an object as `user` would through the API: create-time admission, then the store. */
export function createAs(store: ObjectStore, user: UserInfo, resource: string, obj: KubeObject): KubeObject {
  const admitted = structuredClone(obj);
  admitCreate(resource, admitted, user);
  return store.create(resource, admitted);
}
