/**
 * The lab file: one YAML document per lab, the single source of truth for every runbook.
 *
 * Types (`Lab`, `Node`, …), validation (`validateLab` in ./validate.ts), the JSON Schema for editors
 * (`runbook schema`) and every rendered file derive from the schemas below, so a name or address is
 * written once. Objects are strict: an unknown key is a typo, and is reported as one.
 *
 * Secrets never appear here: fields that need one hold a reference (`file:/path` or `env:NAME`),
 * resolved by the activity that uses it (see ./secrets.ts).
 */
import { z } from 'zod';

/** A DNS label as RFC 1123 allows it for host names: lower case, digits and inner dashes. */
export const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  message: 'must be a DNS label: 1-63 lower-case letters, digits or inner dashes (e.g. "master1")',
});

/** A dotted DNS name such as `example.com` (no trailing dot). */
export const dnsName = z.string().regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  message: 'must be a DNS name of lower-case labels separated by dots, without a trailing dot (e.g. "example.com")',
});

export const ipv4 = z.ipv4({ message: 'must be an IPv4 address such as 10.42.253.10' });
export const cidrv4 = z.cidrv4({ message: 'must be an IPv4 network in CIDR form such as 10.42.253.0/24' });
export const mac = z
  .string()
  .regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, {
    message: 'must be a MAC address of six colon-separated hex pairs such as 52:54:00:e1:48:6a',
  })
  .transform((value) => value.toLowerCase());

/**
 * A reference to a secret, never the secret itself: `file:/path/to/file` (a leading `~/` is the
 * worker's home) or `env:VARIABLE`. The value is read only where it is used.
 */
export const secretRef = z.string().regex(/^(file:.+|env:[A-Za-z_][A-Za-z0-9_]*)$/, {
  message: 'must be a secret reference, "file:/path/to/secret" or "env:VARIABLE_NAME", never the secret itself',
});

/** A command as an argument vector; it is never joined into a shell string from lab values. */
export const command = z.array(z.string().min(1)).min(1, { message: 'must name at least the program to run' });

/** An absolute path on a remote host. */
export const remotePath = z.string().regex(/^\//, { message: 'must be an absolute path such as /etc/bind' });

// ---------------------------------------------------------------------------------------------
// Cluster and network

export const clusterSchema = z.strictObject({
  /** `metadata.name` of install-config; with baseDomain it makes the cluster domain (`intra.example.com`). */
  name: dnsLabel,
  baseDomain: dnsName,
  /** OpenShift release, e.g. `4.2.0`. */
  version: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be an OpenShift version such as 4.2.0' }),
  /** RHCOS release whose PXE kernel, initramfs and metal image the PXE server serves. */
  rhcosVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be an RHCOS version such as 4.2.0' }),
  architecture: z.enum(['x86_64', 'aarch64']).default('x86_64'),
  networkType: z.enum(['OpenShiftSDN', 'OVNKubernetes']).default('OpenShiftSDN'),
  clusterNetwork: z
    .strictObject({ cidr: cidrv4, hostPrefix: z.number().int().min(16).max(30) })
    .default({ cidr: '10.128.0.0/14', hostPrefix: 23 }),
  serviceNetwork: cidrv4.default('172.30.0.0/16'),
  /** Whether masters also run workloads (the seed turns this off in cluster-scheduler-02-config). */
  mastersSchedulable: z.boolean().default(false),
  /** Zone that holds the node host names (`master1.nodes.example.com`). */
  nodesDomain: dnsName,
});

export const subnetSchema = z.strictObject({
  /** The node subnet, of any prefix length; reverse zones follow it. */
  cidr: cidrv4,
  gateway: ipv4,
  dnsServers: z.array(ipv4).min(1, { message: 'needs at least one DNS server' }),
  /** Search domains handed out by DHCP; defaults to the nodes domain and the cluster domain. */
  searchDomains: z.array(dnsName).optional(),
  /** The DHCP dynamic pool; static leases of nodes must stay outside it. */
  dhcpRange: z.strictObject({ start: ipv4, end: ipv4 }),
  /** TFTP server handed to PXE clients (`next-server`). */
  nextServer: ipv4,
});

// ---------------------------------------------------------------------------------------------
// Nodes

export const nodeRoles = ['bootstrap', 'master', 'worker', 'infra'] as const;
export type NodeRole = (typeof nodeRoles)[number];

export const powerSchema = z.discriminatedUnion('type', [
  /** A libvirt domain on one of the lab's hypervisor hosts, driven with `virsh` over SSH. */
  z.strictObject({ type: z.literal('libvirt'), hypervisor: dnsLabel, domain: z.string().min(1) }),
  /** A BMC reached with `ipmitool -I lanplus`. */
  z.strictObject({
    type: z.literal('ipmi'),
    address: z.string().min(1),
    username: z.string().min(1),
    password: secretRef,
  }),
  /** A Redfish BMC; `systemId` is the member of /redfish/v1/Systems. */
  z
    .strictObject({
      type: z.literal('redfish'),
      /** Host name or address of the BMC, with `:port` when not 443; reached over HTTPS. */
      address: z.string().min(1),
      systemId: z.string().min(1).default('1'),
      username: z.string().min(1),
      password: secretRef,
      /** CA bundle that signed the BMC's certificate (`file:…`); without it, the worker's trusted CAs. */
      ca: secretRef.optional(),
      /** Accept any certificate (a BMC with a self-signed one you chose to trust blindly). */
      insecure: z.boolean().default(false),
    })
    .refine((power) => !(power.insecure && power.ca !== undefined), {
      path: ['insecure'],
      message: 'cannot be true together with ca: verify the BMC with its CA (remove insecure) or drop ca',
    }),
  /** No remote power: the runbook asks the operator to power the machine and waits for approval. */
  z.strictObject({ type: z.literal('manual') }),
]);

export const nodeSchema = z.strictObject({
  /** Short host name; the FQDN is `<name>.<cluster.nodesDomain>`. */
  name: dnsLabel,
  role: z.enum(nodeRoles),
  mac,
  ip: ipv4,
  /** Disk RHCOS installs to (`coreos.inst.install_dev`), e.g. `vda` or `sda`. */
  installDisk: z.string().regex(/^[a-z0-9/_-]+$/, { message: 'must be a disk device name such as vda or sda' }),
  boot: z.enum(['bios', 'uefi']).default('bios'),
  power: powerSchema.default({ type: 'manual' }),
});

// ---------------------------------------------------------------------------------------------
// Helper hosts

export const sshSchema = z.strictObject({
  /** Where to connect; defaults to the host's lab address. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).default('root'),
  /** The host's public key as in known_hosts (`ssh-ed25519 AAAA…`); or give knownHosts. */
  hostKey: z
    .string()
    .regex(/^(ssh-|ecdsa-)[a-z0-9-]+ [A-Za-z0-9+/=]+( .*)?$/, {
      message: 'must be a public host key such as "ssh-ed25519 AAAAC3Nz…" (from ssh-keyscan)',
    })
    .optional(),
  /** A known_hosts file to verify the host key against. */
  knownHosts: z.string().min(1).optional(),
  /** Client key for this host; defaults to `secrets.sshPrivateKey`. */
  identity: secretRef.optional(),
});

const serviceCommands = {
  /** Checks the configuration before it is activated; a failure leaves the running service alone. */
  check: command.optional(),
  /** Activates the new configuration. */
  reload: command,
};

export const dnsServiceSchema = z.strictObject({
  /** Folder of the zone files (`db.<zone>`). */
  zoneDir: remotePath.default('/etc/bind/zones'),
  /** File of `zone` statements, included from named.conf. */
  zonesConf: remotePath.default('/etc/bind/named.conf.openshift'),
  check: command.default(['named-checkconf', '-z']),
  reload: command.default(['rndc', 'reload']),
});

export const dhcpServiceSchema = z.strictObject({
  configPath: remotePath.default('/etc/dhcp/dhcpd.conf'),
  check: command.default(['dhcpd', '-t', '-cf', '/etc/dhcp/dhcpd.conf']),
  reload: command.default(['systemctl', 'restart', 'isc-dhcp-server']),
});

export const pxeServiceSchema = z.strictObject({
  tftpRoot: remotePath.default('/srv/tftpboot'),
  /** Folder the HTTP server publishes as `httpUrl` (ignition files, metal image). */
  httpRoot: remotePath.default('/var/www/html/ocp4'),
  /** URL nodes fetch ignition and the metal image from. */
  httpUrl: z.url({ message: 'must be an http(s) URL such as http://10.42.44.100/ocp4' }),
  ...serviceCommands,
  reload: command.optional(),
});

export const haproxyServiceSchema = z.strictObject({
  configPath: remotePath.default('/etc/haproxy/haproxy.cfg'),
  check: command.default(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg']),
  reload: command.default(['systemctl', 'reload', 'haproxy']),
});

export const hypervisorSchema = z.strictObject({
  /** libvirt connection URI passed to `virsh -c`. */
  uri: z.string().min(1).default('qemu:///system'),
});

export const hostSchema = z.strictObject({
  name: dnsLabel,
  /** The host's address on the lab network (what DNS publishes, what haproxy binds behind). */
  address: ipv4,
  ssh: sshSchema.default({ port: 22, user: 'root' }),
  dns: dnsServiceSchema.optional(),
  dhcp: dhcpServiceSchema.optional(),
  pxe: pxeServiceSchema.optional(),
  haproxy: haproxyServiceSchema.optional(),
  hypervisor: hypervisorSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Day 2

export const ldapSchema = z.strictObject({
  /** Identity provider name shown on the login page. */
  name: z.string().min(1).default('LDAP'),
  mappingMethod: z.enum(['claim', 'lookup', 'add', 'generate']).default('claim'),
  /** RFC 2255 URL: `ldaps://host/basedn?attribute?scope?filter`. */
  url: z
    .string()
    .regex(/^ldaps?:\/\/[^/]+\/.*/, {
      message: 'must be an LDAP URL such as ldaps://ldap.example.com/ou=users,dc=example,dc=com?uid',
    }),
  bindDN: z.string().min(1),
  bindPassword: secretRef,
  /** CA chain of the LDAP server's certificate. */
  ca: secretRef.optional(),
  insecure: z.boolean().default(false),
  attributes: z
    .strictObject({
      id: z.array(z.string()).default(['dn']),
      email: z.array(z.string()).default(['mail']),
      name: z.array(z.string()).default(['cn']),
      preferredUsername: z.array(z.string()).default(['uid']),
    })
    .default({ id: ['dn'], email: ['mail'], name: ['cn'], preferredUsername: ['uid'] }),
  /** Names of the Secret and ConfigMap created in openshift-config. */
  secretName: dnsLabel.default('ldap-secret'),
  caConfigMapName: dnsLabel.default('ldap-ca'),
});

export const infraSchema = z.strictObject({
  /** Nodes moved to the infra MachineConfigPool, one at a time; defaults to every node of role infra. */
  nodes: z.array(dnsLabel).optional(),
  /** Move the default IngressController's routers onto the infra nodes. */
  moveRouters: z.boolean().default(true),
  /** Router replicas; defaults to the number of infra nodes. */
  routerReplicas: z.number().int().min(1).optional(),
});

export const cephSchema = z.strictObject({
  clusterId: z.string().min(1),
  monitors: z.array(z.string().min(1)).min(1, { message: 'needs at least one Ceph monitor address' }),
  pool: z.string().min(1).default('kube'),
  userId: z.string().min(1),
  userKey: secretRef,
  namespace: dnsLabel.default('ceph-csi'),
  /** Secret holding the Ceph user; the StorageClass references it by this same name. */
  secretName: dnsLabel.default('csi-rbd-secret'),
  secretNamespace: dnsLabel.default('default'),
  storageClass: dnsLabel.default('ceph-storage'),
  fsType: z.enum(['xfs', 'ext4']).default('xfs'),
  imageFeatures: z.string().default('layering'),
});

export const registrySchema = z.strictObject({
  storage: z.enum(['emptyDir', 'pvc']).default('emptyDir'),
  /** The claim; the registry config refers to it by this same name. */
  pvc: z
    .strictObject({
      name: dnsLabel.default('image-registry-storage'),
      size: z
        .string()
        .regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'must be a quantity such as 100Gi' })
        .default('100Gi'),
      /** Defaults to the Ceph StorageClass when ceph is configured. */
      storageClass: dnsLabel.optional(),
      accessMode: z.enum(['ReadWriteOnce', 'ReadWriteMany']).default('ReadWriteOnce'),
    })
    .optional(),
});

const redirectDestination = z.strictObject({
  /** Local port on the router; omitted = the fallback destination for any other traffic. */
  port: z.number().int().min(1).max(65535).optional(),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  address: ipv4,
  /** Remote port, when it differs from `port`. */
  targetPort: z.number().int().min(1).max(65535).optional(),
});

const egressRouterBase = {
  name: dnsLabel,
  /** An unused address of the node subnet, NAT source of the router's traffic. */
  sourceIP: ipv4,
  /** Defaults to the subnet gateway. */
  gateway: ipv4.optional(),
  /** Nodes the router may run on, as labels; defaults to the infra role label. */
  nodeSelector: z.record(z.string(), z.string()).optional(),
  image: z.string().optional(),
};

export const egressRouterSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    ...egressRouterBase,
    mode: z.literal('redirect'),
    destinations: z.array(redirectDestination).min(1, { message: 'a redirect router needs at least one destination' }),
  }),
  z.strictObject({
    ...egressRouterBase,
    mode: z.literal('http-proxy'),
    /** Squid-style rules, first match wins: `!*.example.com` denies, `*` allows the rest. */
    proxyRules: z
      .array(z.string().min(1))
      .min(1, { message: 'an http-proxy router needs at least one rule, e.g. "*"' }),
    port: z.number().int().min(1).max(65535).default(8080),
  }),
]);

export const egressSchema = z.strictObject({
  namespace: dnsLabel.default('egress-routers'),
  serviceAccount: dnsLabel.default('egress-init'),
  routers: z.array(egressRouterSchema).min(1),
});

export const day2Schema = z.strictObject({
  ldap: ldapSchema.optional(),
  infra: infraSchema.optional(),
  ceph: cephSchema.optional(),
  registry: registrySchema.optional(),
  egress: egressSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// The lab

export const secretsSchema = z.strictObject({
  /** The pull secret from the Red Hat console. */
  pullSecret: secretRef,
  /** Public key put into install-config (`core` user's authorized key). */
  sshPublicKey: secretRef,
  /** Private key the runbooks use to reach the helper hosts over SSH. */
  sshPrivateKey: secretRef,
});

export const labSchema = z.strictObject({
  apiVersion: z.literal('openshift-runbooks/v1', { message: 'must be "openshift-runbooks/v1"' }),
  kind: z.literal('Lab', { message: 'must be "Lab"' }),
  /** Lab id, part of workflow ids (`install/<name>`); a DNS label. */
  name: dnsLabel,
  description: z.string().optional(),
  cluster: clusterSchema,
  network: subnetSchema,
  nodes: z.array(nodeSchema).min(1, { message: 'needs at least the bootstrap node and the masters' }),
  hosts: z.array(hostSchema).min(1, { message: 'needs the helper hosts (DNS, DHCP, PXE, HAProxy)' }),
  secrets: secretsSchema,
  day2: day2Schema.default({}),
});

/** A lab as written in the file (defaults not applied). */
export type LabInput = z.input<typeof labSchema>;
/** A parsed lab: defaults applied, MACs lower-cased. Contains secret references only. */
export type Lab = z.output<typeof labSchema>;
export type Cluster = Lab['cluster'];
export type Subnet = Lab['network'];
export type Node = Lab['nodes'][number];
export type Host = Lab['hosts'][number];
export type Power = Node['power'];
export type Day2 = Lab['day2'];
export type Ldap = NonNullable<Day2['ldap']>;
export type Ceph = NonNullable<Day2['ceph']>;
export type Registry = NonNullable<Day2['registry']>;
export type Egress = NonNullable<Day2['egress']>;
export type EgressRouter = Egress['routers'][number];
export type SecretRef = z.output<typeof secretRef>;

/** Fully qualified domain of the cluster: `<cluster.name>.<cluster.baseDomain>`. */
export function clusterDomain(lab: Pick<Lab, 'cluster'>): string {
  return `${lab.cluster.name}.${lab.cluster.baseDomain}`;
}

/** Fully qualified host name of a node: `<name>.<cluster.nodesDomain>`. */
export function nodeFqdn(lab: { cluster: Pick<Cluster, 'nodesDomain'> }, node: Pick<Node, 'name'>): string {
  return `${node.name}.${lab.cluster.nodesDomain}`;
}

/** The helper hosts that carry a given service block. */
export function hostsWith<K extends 'dns' | 'dhcp' | 'pxe' | 'haproxy' | 'hypervisor'>(
  lab: Pick<Lab, 'hosts'>,
  service: K,
): Array<Host & Required<Pick<Host, K>>> {
  return lab.hosts.filter((host): host is Host & Required<Pick<Host, K>> => host[service] !== undefined);
}

/**
 * Folders a helper host's services keep their files in (zones, dhcpd.conf, TFTP and HTTP roots,
 * haproxy.cfg), in service order, each once: what the install writes into.
 */
export function serviceFolders(host: Host): string[] {
  const folders = [
    host.dns?.zoneDir,
    host.dns && posixDirname(host.dns.zonesConf),
    host.dhcp && posixDirname(host.dhcp.configPath),
    host.pxe?.tftpRoot,
    host.pxe?.httpRoot,
    host.haproxy && posixDirname(host.haproxy.configPath),
  ].filter((folder): folder is string => folder !== undefined);
  return [...new Set(folders)];
}

/** `dirname` of an absolute remote (POSIX) path; pure, so workflow code may use this module. */
function posixDirname(path: string): string {
  const cut = path.replace(/\/+$/, '').lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

/** Label that marks a node's role, as OpenShift sets it (`node-role.kubernetes.io/infra: ""`). */
export function roleLabel(role: NodeRole): string {
  return `node-role.kubernetes.io/${role}`;
}
