/**
 * A loopback mirror of the upstream files a day-2 runbook fetches at run time, so rehearsals never
 * leave the machine: ceph-csi's `deploy/rbd/kubernetes[/v1.14+]/csi-*.yaml` of any release, under the
 * same paths as on raw.githubusercontent.com (`/ceph/ceph-csi/<release>/deploy/rbd/kubernetes/…`).
 * The manifests have upstream's shape (objects in namespace `default`, RBAC subjects naming it,
 * images tagged with the release), trimmed to what the simulated admission and pod model read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';

type Manifest = Record<string, unknown>;

const hostPath = (name: string, path: string) => ({ name, hostPath: { path } });

function serviceAccount(name: string): Manifest {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } };
}

function clusterRbac(name: string, account: string, rules: unknown[]): Manifest[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${account}-role` },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace: 'default' }],
      roleRef: { kind: 'ClusterRole', name, apiGroup: 'rbac.authorization.k8s.io' },
    },
  ];
}

/** The four files of ceph-csi `deploy/rbd/kubernetes/v1.14+` at `release`. */
export function cephCsiManifests(release: string): Record<string, Manifest[]> {
  const cephcsi = `quay.io/cephcsi/cephcsi:${release}`;
  const config = { name: 'ceph-csi-config', configMap: { name: 'ceph-csi-config' } };
  return {
    'csi-provisioner-rbac.yaml': [
      serviceAccount('rbd-csi-provisioner'),
      ...clusterRbac('rbd-external-provisioner-runner', 'rbd-csi-provisioner', [
        { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
        { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'update'] },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
      ]),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'rbd-external-provisioner-cfg', namespace: 'default' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'delete'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'rbd-csi-provisioner-role-cfg', namespace: 'default' },
        subjects: [{ kind: 'ServiceAccount', name: 'rbd-csi-provisioner', namespace: 'default' }],
        roleRef: { kind: 'Role', name: 'rbd-external-provisioner-cfg', apiGroup: 'rbac.authorization.k8s.io' },
      },
    ],
    'csi-nodeplugin-rbac.yaml': [
      serviceAccount('rbd-csi-nodeplugin'),
      ...clusterRbac('rbd-csi-nodeplugin', 'rbd-csi-nodeplugin', [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
      ]),
    ],
    'csi-rbdplugin-provisioner.yaml': [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'csi-rbdplugin-provisioner', namespace: 'default' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'csi-rbdplugin-provisioner' } },
          template: {
            metadata: { labels: { app: 'csi-rbdplugin-provisioner' } },
            spec: {
              serviceAccountName: 'rbd-csi-provisioner',
              containers: [
                { name: 'csi-provisioner', image: 'quay.io/k8scsi/csi-provisioner:v1.3.0' },
                { name: 'csi-rbdplugin', image: cephcsi, securityContext: { privileged: true } },
              ],
              volumes: [hostPath('host-dev', '/dev'), config],
            },
          },
        },
      },
    ],
    'csi-rbdplugin.yaml': [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'csi-rbdplugin', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'csi-rbdplugin' } },
          template: {
            metadata: { labels: { app: 'csi-rbdplugin' } },
            spec: {
              serviceAccountName: 'rbd-csi-nodeplugin',
              hostNetwork: true,
              hostPID: true,
              containers: [
                { name: 'driver-registrar', image: 'quay.io/k8scsi/csi-node-driver-registrar:v1.1.0' },
                { name: 'csi-rbdplugin', image: cephcsi, securityContext: { privileged: true } },
              ],
              volumes: [
                hostPath('plugin-dir', '/var/lib/kubelet/plugins/rbd.csi.ceph.com'),
                hostPath('host-dev', '/dev'),
                config,
              ],
            },
          },
        },
      },
    ],
  };
}

const CEPH_PATH = /^\/ceph\/ceph-csi\/(v\d+\.\d+\.\d+)\/deploy\/rbd\/kubernetes\/(?:v1\.14\+\/)?([a-z-]+\.yaml)$/;

export interface ReleaseMirror {
  /** `http://127.0.0.1:<port>`: stands for https://raw.githubusercontent.com in rehearsals. */
  url: string;
  stop(): Promise<void>;
}

export async function startReleaseMirror(): Promise<ReleaseMirror> {
  const server: Server = createServer((request, response) => {
    const match = CEPH_PATH.exec(decodeURIComponent(new URL(request.url ?? '/', 'http://mirror').pathname));
    const documents = match ? cephCsiManifests(match[1]!)[match[2]!] : undefined;
    if (request.method !== 'GET' || documents === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('404: Not Found');
      return;
    }
    response
      .writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end(documents.map((document) => `---\n${stringify(document)}`).join(''));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
