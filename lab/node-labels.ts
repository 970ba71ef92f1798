/**
 * The labels a node carries once it has joined the cluster, as OpenShift sets them, so that node
 * selectors in the lab can be checked before anything is applied. Pure.
 */
import { nodeFqdn, roleLabel, type Cluster, type Node } from './schema.js';

const kubernetesArch = { x86_64: 'amd64', aarch64: 'arm64' } as const;

/**
 * Role labels have an empty value (`node-role.kubernetes.io/infra: ""`); infra nodes carry the infra
 * role instead of worker once moved to their pool. The bootstrap machine never joins: no labels.
 */
export function nodeLabels(
  lab: { cluster: Pick<Cluster, 'nodesDomain'> & Partial<Pick<Cluster, 'architecture'>> },
  node: Pick<Node, 'name' | 'role'>,
): Record<string, string> {
  if (node.role === 'bootstrap') return {};
  const arch = kubernetesArch[lab.cluster.architecture ?? 'x86_64'];
  const hostname = nodeFqdn(lab, node);
  return {
    [roleLabel(node.role)]: '',
    'kubernetes.io/hostname': hostname,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    'node.openshift.io/os_id': 'rhcos',
  };
}

/** Whether every label of the selector is on the node with the same value. */
export function selectorMatches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
