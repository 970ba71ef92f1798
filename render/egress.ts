/**
 * Egress. OpenShift SDN: a namespace, a ServiceAccount allowed to run the privileged init container
 * (SCC `egress-init`), and per router a ReplicationController (redirect or HTTP proxy mode, on a
 * macvlan interface holding the router's source IP) with the Service that other pods use; namespace
 * egress IPs on NetNamespaces and HostSubnets. OVN-Kubernetes: `EgressRouter` objects (redirect
 * only) with their Services; namespace egress IPs as `EgressIP` objects (k8s.ovn.org/v1) and the
 * `k8s.ovn.org/egress-assignable` label on the nodes that may hold them.
 */
import { nodeFqdn, type Egress, type EgressRouter, type Lab } from '../lab/schema.js';
import { manifestFile, namespaceObject, patchFile, serviceAccountObject, serviceAccountUser } from './manifest.js';
import type { KubeObject, MergePatch } from './manifest.js';
import { parseNetwork } from '../lab/ip.js';
import { infraRoleLabel } from './topology.js';
import type { RenderedFile } from './types.js';

/** Images of the reference procedure; `routers[].image` overrides the router (init) image. */
export const egressImages = {
  router: 'docker.io/openshift/origin-egress-router',
  pod: 'docker.io/openshift/origin-pod',
  httpProxy: 'docker.io/openshift/origin-egress-http-proxy',
} as const;

/** Port the egress HTTP proxy image listens on; the Service maps the router's `port` onto it. */
export const httpProxyListenPort = 8080;

export function egressNamespace(egress: Egress): KubeObject {
  return namespaceObject(egress.namespace);
}

export function egressServiceAccount(egress: Egress): KubeObject {
  return serviceAccountObject(egress.namespace, egress.serviceAccount);
}

/** Lets the routers' service account run the privileged init container that sets up NAT. */
export function egressScc(egress: Egress): KubeObject {
  return {
    apiVersion: 'security.openshift.io/v1',
    kind: 'SecurityContextConstraints',
    metadata: { name: egress.serviceAccount },
    allowHostDirVolumePlugin: false,
    allowHostIPC: false,
    allowHostNetwork: false,
    allowHostPID: false,
    allowHostPorts: false,
    allowPrivilegedContainer: true,
    readOnlyRootFilesystem: false,
    runAsUser: { type: 'RunAsAny' },
    seLinuxContext: { type: 'RunAsAny' },
    fsGroup: { type: 'RunAsAny' },
    supplementalGroups: { type: 'RunAsAny' },
    users: [serviceAccountUser(egress.namespace, egress.serviceAccount)],
  };
}

/**
 * EGRESS_DESTINATION of a redirect router, one rule per line: `<port> <proto> <ip> [<remote port>]`,
 * and a bare address as the fallback for any other traffic.
 */
export function egressDestination(router: Extract<EgressRouter, { mode: 'redirect' }>): string {
  const rules = router.destinations.map((destination) =>
    destination.port === undefined
      ? destination.address
      : [destination.port, destination.protocol, destination.address, destination.targetPort]
          .filter((part) => part !== undefined)
          .join(' '),
  );
  return `${rules.join('\n')}\n`;
}

const env = (name: string, value: string) => ({ name, value });

/**
 * A router's tolerations as a pod spec writes them (only the fields given): its own, else, for a
 * router on the infra nodes (its selector names the infra role, as the default one does), the
 * infra nodes' (day2.infra.routerTolerations): the taints that keep other work off them are theirs.
 */
export function routerTolerations(lab: Lab, router: EgressRouter): Record<string, unknown>[] | undefined {
  const onInfra = infraRoleLabel in (router.nodeSelector ?? { [infraRoleLabel]: '' });
  const given = router.tolerations ?? (onInfra ? lab.day2.infra?.routerTolerations : undefined);
  return given?.map((toleration) =>
    Object.fromEntries(Object.entries(toleration).filter(([, value]) => value !== undefined)),
  );
}

export function egressRouterController(lab: Lab, egress: Egress, router: EgressRouter): KubeObject {
  const labels = { name: router.name };
  const gateway = router.gateway ?? lab.network.gateway;
  const tolerations = routerTolerations(lab, router);
  const initEnv = [
    env('EGRESS_SOURCE', router.sourceIP),
    env('EGRESS_GATEWAY', gateway),
    ...(router.mode === 'redirect'
      ? [env('EGRESS_DESTINATION', egressDestination(router)), env('EGRESS_ROUTER_MODE', 'init')]
      : []),
    ...(router.mode === 'http-proxy' ? [env('EGRESS_ROUTER_MODE', 'http-proxy')] : []),
  ];
  const main =
    router.mode === 'redirect'
      ? { name: 'egress-router-wait', image: egressImages.pod }
      : {
          name: 'egress-router-proxy',
          image: egressImages.httpProxy,
          env: [env('EGRESS_HTTP_PROXY_DESTINATION', `${router.proxyRules.join('\n')}\n`)],
          ports: [{ containerPort: httpProxyListenPort, name: 'http-proxy', protocol: 'TCP' }],
        };
  return {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: router.name, namespace: egress.namespace, labels },
    spec: {
      replicas: 1,
      selector: labels,
      template: {
        metadata: { name: router.name, labels, annotations: { 'pod.network.openshift.io/assign-macvlan': 'true' } },
        spec: {
          serviceAccountName: egress.serviceAccount,
          initContainers: [
            {
              name: 'egress-router-init',
              image: router.image ?? egressImages.router,
              env: initEnv,
              securityContext: { privileged: true },
            },
          ],
          containers: [main],
          nodeSelector: router.nodeSelector ?? { [infraRoleLabel]: '' },
          ...(tolerations !== undefined && tolerations.length > 0 && { tolerations }),
        },
      },
    },
  };
}

/**
 * The Service in front of a router: the ports of its redirect rules, or the proxy port. A redirect
 * router with only a fallback destination has no port to publish, so its Service is headless.
 */
export function egressRouterService(egress: Egress, router: EgressRouter): KubeObject {
  const ports =
    router.mode === 'http-proxy'
      ? [{ name: 'http-proxy', port: router.port, protocol: 'TCP', targetPort: httpProxyListenPort }]
      : router.destinations.flatMap((destination) =>
          destination.port === undefined
            ? []
            : [
                {
                  name: `${destination.protocol}-${destination.port}`,
                  port: destination.port,
                  protocol: destination.protocol.toUpperCase(),
                  targetPort: destination.port,
                },
              ],
        );
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: router.name, namespace: egress.namespace },
    spec: {
      selector: { name: router.name },
      ...(ports.length === 0 ? { clusterIP: 'None' } : { ports }),
    },
  };
}

/** Pods of the router deployment the network operator runs for an `EgressRouter` (OVN-Kubernetes). */
export const ovnRouterPodLabels = { app: 'egress-router-cni' } as const;

/**
 * The `EgressRouter` of OVN-Kubernetes (network.operator.openshift.io/v1), redirect mode, the only
 * one it has: the network operator runs the router pod with the source address on a macvlan.
 */
export function egressRouterOvn(lab: Lab, egress: Egress, router: EgressRouter): KubeObject {
  if (router.mode !== 'redirect')
    throw new Error(`egress router ${router.name}: OVN-Kubernetes egress routers redirect only (mode: redirect)`);
  const fallback = router.destinations.find((destination) => destination.port === undefined);
  return {
    apiVersion: 'network.operator.openshift.io/v1',
    kind: 'EgressRouter',
    metadata: { name: router.name, namespace: egress.namespace },
    spec: {
      networkInterface: { macvlan: { mode: 'Bridge' } },
      addresses: [
        {
          ip: `${router.sourceIP}/${parseNetwork(lab.network.cidr).prefix}`,
          gateway: router.gateway ?? lab.network.gateway,
        },
      ],
      mode: 'Redirect',
      redirect: {
        redirectRules: router.destinations.flatMap((destination) =>
          destination.port === undefined
            ? []
            : [
                {
                  destinationIP: destination.address,
                  port: destination.port,
                  protocol: destination.protocol.toUpperCase(),
                  ...(destination.targetPort !== undefined && { targetPort: destination.targetPort }),
                },
              ],
        ),
        ...(fallback && { fallbackIP: fallback.address }),
      },
    },
  };
}

/** The Service in front of an OVN egress router: its redirect ports, on the operator's router pods. */
export function egressRouterOvnService(egress: Egress, router: EgressRouter): KubeObject {
  const service = egressRouterService(egress, router) as KubeObject & { spec: Record<string, unknown> };
  return { ...service, spec: { ...service.spec, selector: { ...ovnRouterPodLabels } } };
}

const SDN_API = 'network.openshift.io/v1';

/** The namespaces given egress IPs: the SDN makes their NetNamespace once they exist. */
export function egressIpNamespaces(egress: Egress): KubeObject[] {
  return (egress.egressIPs ?? []).map((entry) => namespaceObject(entry.namespace));
}

/**
 * `oc patch netnamespace <ns> -p '{"egressIPs": [...]}'` per namespace, and `oc patch hostsubnet <node>`
 * with the addresses each node holds, as the procedure does. The lab lists every address a node holds:
 * a HostSubnet patch replaces the node's list.
 */
export function egressIpPatches(lab: Lab, egress: Egress): MergePatch[] {
  const entries = egress.egressIPs ?? [];
  const byNode = new Map<string, string[]>();
  for (const { ip, node } of entries.flatMap((entry) => entry.ips)) byNode.set(node, [...(byNode.get(node) ?? []), ip]);
  return [
    ...entries.map((entry) => ({
      target: { apiVersion: SDN_API, kind: 'NetNamespace', name: entry.namespace },
      patch: { egressIPs: entry.ips.map((address) => address.ip) },
    })),
    ...[...byNode].map(([node, ips]) => ({
      target: { apiVersion: SDN_API, kind: 'HostSubnet', name: nodeFqdn(lab, { name: node }) },
      patch: { egressIPs: ips },
    })),
  ];
}

const OVN_API = 'k8s.ovn.org/v1';
/** The label OVN-Kubernetes assigns egress IPs by: only nodes that carry it may hold one. */
export const egressAssignableLabel = 'k8s.ovn.org/egress-assignable';

/** The EgressIP of one namespace of `day2.egress.egressIPs`: named after it. */
export function egressIpName(namespace: string): string {
  return `egress-${namespace}`;
}

/**
 * OVN-Kubernetes: one `EgressIP` per namespace, its addresses in the lab's order, selecting the
 * namespace by the name label every namespace carries (`kubernetes.io/metadata.name`), and its pods
 * by the lab's podSelector when it has one. OVN picks the nodes (status.items).
 */
export function egressIpObjects(egress: Egress): KubeObject[] {
  return (egress.egressIPs ?? []).map((entry) => ({
    apiVersion: OVN_API,
    kind: 'EgressIP',
    metadata: { name: egressIpName(entry.namespace) },
    spec: {
      egressIPs: entry.ips.map((address) => address.ip),
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': entry.namespace } },
      ...(entry.podSelector !== undefined && { podSelector: { matchLabels: entry.podSelector } }),
    },
  }));
}

/** The nodes the lab puts egress IPs on, in the lab's order, each once. */
export function egressIpNodes(egress: Egress): string[] {
  return [...new Set((egress.egressIPs ?? []).flatMap((entry) => entry.ips.map((address) => address.node)))];
}

/** OVN-Kubernetes: the egress-assignable label on each node the lab lists for egress IPs (a merge patch keeps its other labels). */
export function egressAssignablePatches(lab: Lab, egress: Egress): MergePatch[] {
  return egressIpNodes(egress).map((node) => ({
    target: { apiVersion: 'v1', kind: 'Node', name: nodeFqdn(lab, { name: node }) },
    patch: { metadata: { labels: { [egressAssignableLabel]: '' } } },
  }));
}

/**
 * SDN: SCC, namespace and service account, ReplicationControllers, namespace egress IPs;
 * OVN: namespace, EgressRouter and EgressIP objects.
 */
export function renderEgress(lab: Lab): RenderedFile[] {
  const egress = lab.day2.egress;
  if (egress === undefined) return [];
  const ovn = lab.cluster.networkType === 'OVNKubernetes';
  const setup = ovn
    ? [
        manifestFile(lab, [egressNamespace(egress)], {
          path: 'cluster/egress/namespace.yaml',
          artifact: 'egress.service-account',
        }),
      ]
    : [
        manifestFile(lab, [egressScc(egress)], { path: 'cluster/egress/scc.yaml', artifact: 'egress.scc' }),
        manifestFile(lab, [egressNamespace(egress), egressServiceAccount(egress)], {
          path: 'cluster/egress/service-account.yaml',
          artifact: 'egress.service-account',
        }),
      ];
  const namespaces = egressIpNamespaces(egress);
  const patchFiles = (patches: MergePatch[]) =>
    patches.map((patch) =>
      patchFile(lab, patch, {
        path: `cluster/egress/${patch.target.kind.toLowerCase()}-${patch.target.name}-patch.yaml`,
        artifact: 'egress.ips',
      }),
    );
  const egressIps =
    namespaces.length === 0
      ? []
      : [
          manifestFile(lab, namespaces, {
            path: 'cluster/egress/egress-ip-namespaces.yaml',
            artifact: 'egress.ip-namespaces',
          }),
          ...(ovn
            ? [
                ...patchFiles(egressAssignablePatches(lab, egress)),
                ...egressIpObjects(egress).map((object) =>
                  manifestFile(lab, [object], {
                    path: `cluster/egress/egressip-${object.metadata.name}.yaml`,
                    artifact: 'egress.ips',
                  }),
                ),
              ]
            : patchFiles(egressIpPatches(lab, egress))),
        ];
  return [
    ...setup,
    ...egressIps,
    ...egress.routers.flatMap((router) => [
      manifestFile(lab, [ovn ? egressRouterOvn(lab, egress, router) : egressRouterController(lab, egress, router)], {
        path: `cluster/egress/${router.name}-${ovn ? 'egressrouter' : 'controller'}.yaml`,
        artifact: 'egress.router',
      }),
      manifestFile(lab, [ovn ? egressRouterOvnService(egress, router) : egressRouterService(egress, router)], {
        path: `cluster/egress/${router.name}-service.yaml`,
        artifact: 'egress.service',
      }),
    ]),
  ];
}
