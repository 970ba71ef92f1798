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
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { duration, installSchema } from './install-settings.js';
import { rhcosBuildId } from './release.js';

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

/**
 * A Ceph monitor as ceph-csi takes it, `address[:port]`: an IPv4 address, an IPv6 address (in
 * brackets when a port follows) or a host name, and a port from 1 to 65535.
 */
export const cephMonitor = z.string().refine(isMonitorAddress, {
  message:
    'must be a monitor address[:port] such as 10.1.2.3, 10.1.2.3:6789, [2001:db8::3]:6789 or mon1.example.com:3300 (port 1-65535)',
});

function isMonitorAddress(value: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(value);
  if (bracketed !== null) return ipaddr.IPv6.isValid(bracketed[1] ?? '') && isPort(bracketed[2]);
  if (value.split(':').length > 2) return ipaddr.IPv6.isValid(value);
  const [host = '', port] = value.split(':');
  const address = /^[\d.]+$/.test(host) ? ipaddr.IPv4.isValidFourPartDecimal(host) : hostName.test(host);
  return address && isPort(port);
}

const hostName = /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

function isPort(port: string | undefined): boolean {
  return port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535);
}

/** A SHA-256 digest in hex, as sha256sum prints it. */
export const sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'must be a sha256 digest: 64 lower-case hex digits' });

/** A command as an argument vector; it is never joined into a shell string from lab values. */
export const command = z.array(z.string().min(1)).min(1, { message: 'must name at least the program to run' });

/** An absolute path on a remote host. */
export const remotePath = z.string().regex(/^\//, { message: 'must be an absolute path such as /etc/bind' });

// ---------------------------------------------------------------------------------------------
// Cluster and network
//
// Every property carries its help as a zod description (`.describe`), which `runbook schema` puts
// into lab.schema.json for editors; test/lab/json-schema.test.ts checks that none is missing.

export const clusterSchema = z.strictObject({
  name: dnsLabel.describe(
    '`metadata.name` of install-config; with baseDomain it makes the cluster domain (`intra.example.com`).',
  ),
  baseDomain: dnsName.describe('Parent domain of the cluster domain (`example.com`), `baseDomain` of install-config.'),
  version: z
    .string()
    .regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be an OpenShift version such as 4.2.0' })
    .describe('OpenShift release, e.g. `4.2.0`.'),
  rhcosVersion: z
    .string()
    .regex(new RegExp(`^\\d+\\.\\d+(\\.\\d+)?$|${rhcosBuildId.source}`), {
      message: 'must be an RHCOS version such as 4.2.0 or 4.6.1, or a build id such as 46.82.202008181646-0',
    })
    .describe(
      'RHCOS release whose PXE boot files the PXE server serves: a release such as `4.6.1`, or a build id such as `46.82.202008181646-0`.',
    ),
  rhcosMirror: z
    .url({ message: 'must be an http(s) URL of the folder holding the RHCOS files' })
    .optional()
    .describe(
      'Folder the RHCOS boot files are downloaded from, with its sha256sum.txt; defaults to the public ' +
        'mirror, https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/<minor>/<rhcosVersion>/.',
    ),
  rhcosSha256: z
    .strictObject({
      kernel: sha256.optional().describe('The kernel: installer kernel up to 4.5, live kernel from 4.6.'),
      initramfs: sha256.optional().describe('The initramfs: installer initramfs up to 4.5, live initramfs from 4.6.'),
      rootfs: sha256.optional().describe('The live rootfs (4.6 and later).'),
      metal: sha256.optional().describe('The metal image of 4.3 to 4.5 (one for BIOS and UEFI).'),
      metalBios: sha256.optional().describe('The BIOS metal image of 4.2.'),
      metalUefi: sha256.optional().describe('The UEFI metal image of 4.2.'),
    })
    .optional()
    .describe(
      "Expected sha256 of each RHCOS boot file; a file without one is checked against the mirror's sha256sum.txt.",
    ),
  architecture: z
    .enum(['x86_64', 'aarch64'])
    .default('x86_64')
    .describe('CPU architecture of the nodes and of the RHCOS images.'),
  networkType: z
    .enum(['OpenShiftSDN', 'OVNKubernetes'])
    .default('OpenShiftSDN')
    .describe(
      'Cluster network plugin (`networking.networkType` of install-config); defaults to the one the release ' +
        'installs by default: OVNKubernetes from 4.12, OpenShiftSDN before. OpenShiftSDN cannot install 4.15 or later.',
    ),
  clusterNetwork: z
    .strictObject({
      cidr: cidrv4.describe('Network pods take their addresses from; must not overlap the node or service network.'),
      hostPrefix: z
        .number()
        .int()
        .min(16)
        .max(30)
        .describe('Prefix length of the slice each node gets from `cidr` (23 gives every node 510 pod addresses).'),
    })
    .default({ cidr: '10.128.0.0/14', hostPrefix: 23 })
    .describe('Pod network (`networking.clusterNetwork` of install-config).'),
  serviceNetwork: cidrv4.default('172.30.0.0/16').describe('Network of Service cluster IPs.'),
  mastersSchedulable: z
    .boolean()
    .default(false)
    .describe('Whether masters also run workloads (the procedure turns this off in cluster-scheduler-02-config).'),
  nodesDomain: dnsName.describe('Zone that holds the node host names (`master1.nodes.example.com`).'),
});

export const subnetSchema = z.strictObject({
  cidr: cidrv4.describe('The node subnet, of any prefix length; reverse zones follow it.'),
  gateway: ipv4.describe('Default router of the node subnet, handed out by DHCP.'),
  dnsServers: z
    .array(ipv4)
    .min(1, { message: 'needs at least one DNS server' })
    .describe('DNS servers handed out by DHCP: the addresses of the lab hosts with a dns block.'),
  searchDomains: z
    .array(dnsName)
    .optional()
    .describe('Search domains handed out by DHCP; defaults to the nodes domain and the cluster domain.'),
  dhcpRange: z
    .strictObject({
      start: ipv4.describe('First address of the pool.'),
      end: ipv4.describe('Last address of the pool.'),
    })
    .describe('The DHCP dynamic pool; static leases of nodes must stay outside it.'),
  nextServer: ipv4.describe('TFTP server handed to PXE clients (`next-server`): the address of the PXE host.'),
});

// ---------------------------------------------------------------------------------------------
// Nodes

export const nodeRoles = ['bootstrap', 'master', 'worker', 'infra'] as const;
export type NodeRole = (typeof nodeRoles)[number];

const bmcAddress = z.string().min(1).describe('Host name or address of the BMC.');
const bmcUser = z.string().min(1).describe('BMC user allowed to power the machine on and off.');
const bmcPassword = secretRef.describe('Reference to the BMC password (`env:` or `file:`), never the password.');

export const powerSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z
          .literal('libvirt')
          .describe('A libvirt domain on one of the lab hypervisor hosts, driven with `virsh` over SSH.'),
        hypervisor: dnsLabel.describe('Name of the lab host (with a hypervisor block) that runs the domain.'),
        domain: z.string().min(1).describe('libvirt domain name (`virsh list --all`).'),
      })
      .describe('A libvirt domain on one of the lab hypervisor hosts, driven with `virsh` over SSH.'),
    z
      .strictObject({
        type: z.literal('ipmi').describe('A BMC reached with `ipmitool -I lanplus`.'),
        address: bmcAddress,
        username: bmcUser,
        password: bmcPassword,
      })
      .describe('A BMC reached with `ipmitool -I lanplus`.'),
    z
      .strictObject({
        type: z.literal('redfish').describe('A Redfish BMC, reached over HTTPS.'),
        address: bmcAddress,
        systemId: z.string().min(1).default('1').describe('The member of /redfish/v1/Systems that is this machine.'),
        username: bmcUser,
        password: bmcPassword,
        ca: secretRef
          .optional()
          .describe("CA bundle that signed the BMC's certificate (`file:…`); without it, the worker's trusted CAs."),
        insecure: z
          .boolean()
          .default(false)
          .describe('Accept any certificate (a BMC with a self-signed one you chose to trust blindly).'),
      })
      .refine((power) => !(power.insecure && power.ca !== undefined), {
        path: ['insecure'],
        message: 'cannot be true together with ca: verify the BMC with its CA (remove insecure) or drop ca',
      })
      .describe('A Redfish BMC, reached over HTTPS (address with `:port` when not 443).'),
    z
      .strictObject({
        type: z
          .literal('manual')
          .describe('No remote power: the runbook asks the operator to power the machine and waits for approval.'),
      })
      .describe('No remote power: the runbook asks the operator to power the machine and waits for approval.'),
  ])
  .describe('How the runbooks power the machine on and off; defaults to manual.');

export const nodeSchema = z.strictObject({
  name: dnsLabel.describe('Short host name; the FQDN is `<name>.<cluster.nodesDomain>`.'),
  role: z
    .enum(nodeRoles)
    .describe(
      'bootstrap (one, removed after install), master (3 or more, odd), worker, or infra (a worker moved to the infra pool).',
    ),
  mac: mac.describe('MAC address of the network card that boots over PXE; DHCP and PXE configs are keyed on it.'),
  ip: ipv4.describe('Static address on the node subnet, leased by DHCP and published in DNS.'),
  installDisk: z
    .string()
    .regex(/^[a-z0-9/_-]+$/, { message: 'must be a disk device name such as vda or sda' })
    .describe('Disk RHCOS installs to (`coreos.inst.install_dev`), e.g. `vda` or `sda`.'),
  boot: z.enum(['bios', 'uefi']).default('bios').describe('Firmware: bios boots PXELINUX, uefi boots GRUB.'),
  power: powerSchema.default({ type: 'manual' }),
});

// ---------------------------------------------------------------------------------------------
// Helper hosts

export const sshSchema = z.strictObject({
  host: z.string().min(1).optional().describe("Where to connect; defaults to the host's lab address."),
  port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
  user: z
    .string()
    .min(1)
    .default('root')
    .describe('SSH user; it needs to write the service files and reload the services.'),
  hostKey: z
    .string()
    .regex(/^(ssh-|ecdsa-)[a-z0-9-]+ [A-Za-z0-9+/=]+( .*)?$/, {
      message: 'must be a public host key such as "ssh-ed25519 AAAAC3Nz…" (from ssh-keyscan)',
    })
    .optional()
    .describe("The host's public key as in known_hosts (`ssh-ed25519 AAAA…`); or give knownHosts."),
  knownHosts: z.string().min(1).optional().describe('A known_hosts file to verify the host key against.'),
  identity: secretRef.optional().describe('Client key for this host; defaults to `secrets.sshPrivateKey`.'),
});

const checkCommand = command.describe(
  'Checks the configuration before it is activated (argument vector); a failure leaves the running service alone.',
);
const reloadCommand = command.describe('Activates the new configuration (argument vector).');

export const dnsServiceSchema = z.strictObject({
  zoneDir: remotePath.default('/etc/bind/zones').describe('Folder of the zone files (`db.<zone>`).'),
  zonesConf: remotePath
    .default('/etc/bind/named.conf.openshift')
    .describe('File of `zone` statements, included from named.conf.'),
  check: checkCommand.default(['named-checkconf', '-z']),
  reload: reloadCommand.default(['rndc', 'reload']),
});

export const dhcpServiceSchema = z.strictObject({
  configPath: remotePath.default('/etc/dhcp/dhcpd.conf').describe('Where dhcpd.conf is written.'),
  check: checkCommand.default(['dhcpd', '-t', '-cf', '/etc/dhcp/dhcpd.conf']),
  reload: reloadCommand.default(['systemctl', 'restart', 'isc-dhcp-server']),
});

export const pxeServiceSchema = z.strictObject({
  tftpRoot: remotePath
    .default('/srv/tftpboot')
    .describe('Root of the TFTP server: PXE configs, kernels and initramfs.'),
  httpRoot: remotePath
    .default('/var/www/html/ocp4')
    .describe('Folder the HTTP server publishes as `httpUrl` (ignition files, metal image).'),
  httpUrl: z
    .url({ message: 'must be an http(s) URL such as http://10.42.44.100/ocp4' })
    .describe('URL nodes fetch ignition and the metal image from.'),
  check: checkCommand.optional(),
  reload: reloadCommand.optional(),
});

export const haproxyServiceSchema = z.strictObject({
  configPath: remotePath.default('/etc/haproxy/haproxy.cfg').describe('Where haproxy.cfg is written.'),
  check: checkCommand.default(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg']),
  reload: reloadCommand.default(['systemctl', 'reload', 'haproxy']),
});

export const hypervisorSchema = z.strictObject({
  uri: z.string().min(1).default('qemu:///system').describe('libvirt connection URI passed to `virsh -c`.'),
});

export const hostSchema = z.strictObject({
  name: dnsLabel.describe('Short host name, published in the nodes zone next to the nodes.'),
  address: ipv4.describe("The host's address on the lab network (what DNS publishes, what haproxy binds behind)."),
  ssh: sshSchema.default({ port: 22, user: 'root' }).describe('How the runbooks reach the host.'),
  dns: dnsServiceSchema.optional().describe('The host serves the lab zones with BIND.'),
  dhcp: dhcpServiceSchema.optional().describe('The host runs the DHCP server (exactly one host does).'),
  pxe: pxeServiceSchema.optional().describe('The host serves PXE boot files over TFTP and the RHCOS files over HTTP.'),
  haproxy: haproxyServiceSchema
    .optional()
    .describe('The host load-balances the API, machine-config and ingress ports with HAProxy.'),
  hypervisor: hypervisorSchema.optional().describe('The host runs libvirt domains of the lab nodes.'),
});

// ---------------------------------------------------------------------------------------------
// Day 2

const stringList = (description: string, fallback: string[]) =>
  z.array(z.string()).default(fallback).describe(description);

export const ldapSchema = z.strictObject({
  name: z.string().min(1).default('LDAP').describe('Identity provider name shown on the login page.'),
  mappingMethod: z
    .enum(['claim', 'lookup', 'add', 'generate'])
    .default('claim')
    .describe('How LDAP identities map to OpenShift users.'),
  url: z
    .string()
    .regex(/^ldaps?:\/\/[^/]+\/.*/, {
      message: 'must be an LDAP URL such as ldaps://ldap.example.com/ou=users,dc=example,dc=com?uid',
    })
    .describe('RFC 2255 URL: `ldaps://host/basedn?attribute?scope?filter`.'),
  bindDN: z.string().min(1).describe('DN OpenShift binds as to search for users.'),
  bindPassword: secretRef.describe('Reference to the bind password (`env:` or `file:`), never the password.'),
  ca: secretRef.optional().describe("CA chain of the LDAP server's certificate."),
  insecure: z
    .boolean()
    .default(false)
    .describe('Plain ldap:// without TLS; OpenShift rejects it with an ldaps:// URL or a ca.'),
  attributes: z
    .strictObject({
      id: stringList('Attributes whose value is the user identity.', ['dn']),
      email: stringList('Attributes holding the email address.', ['mail']),
      name: stringList('Attributes holding the display name.', ['cn']),
      preferredUsername: stringList('Attributes holding the login name.', ['uid']),
    })
    .default({ id: ['dn'], email: ['mail'], name: ['cn'], preferredUsername: ['uid'] })
    .describe('LDAP attributes mapped onto OpenShift identities.'),
  secretName: dnsLabel
    .default('ldap-secret')
    .describe('Name of the Secret with the bind password, created in openshift-config.'),
  caConfigMapName: dnsLabel
    .default('ldap-ca')
    .describe('Name of the ConfigMap with the CA, created in openshift-config.'),
});

export const tolerationSchema = z
  .strictObject({
    key: z.string().min(1).optional().describe('Taint key tolerated; with operator Exists and no key, every taint.'),
    operator: z
      .enum(['Exists', 'Equal'])
      .default('Equal')
      .describe('Equal: the taint has this key and value; Exists: any value of the key.'),
    value: z.string().optional().describe('Taint value, with operator Equal.'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('Taint effect tolerated; every effect when left out.'),
  })
  .describe('A toleration, as in a pod spec.');

export const infraSchema = z.strictObject({
  nodes: z
    .array(dnsLabel)
    .optional()
    .describe('Nodes moved to the infra MachineConfigPool, one at a time; defaults to every node of role infra.'),
  moveRouters: z.boolean().default(true).describe("Move the default IngressController's routers onto the infra nodes."),
  routerTolerations: z
    .array(tolerationSchema)
    .optional()
    .describe(
      "Tolerations of the default IngressController's routers (spec.nodePlacement.tolerations), for infra " +
        'nodes that carry taints, e.g. { key: node-role.kubernetes.io/infra, operator: Exists, effect: ' +
        'NoSchedule }; left out, the routers keep the ones they have, [] removes them.',
    ),
  routerReplicas: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Router replicas; defaults to the number of infra nodes.'),
  nodeDeadline: duration
    .default('30m')
    .describe(
      'How long one infra node may take to drain, reboot and come back Ready on the infra config before the run pauses on it (at most 6h).',
    ),
});

export const cephSchema = z.strictObject({
  clusterId: z.string().min(1).describe('Ceph cluster id (`ceph fsid`).'),
  monitors: z
    .array(cephMonitor)
    .min(1, { message: 'needs at least one Ceph monitor address' })
    .describe('Ceph monitors, `address[:port]` each.'),
  pool: z.string().min(1).default('kube').describe('RBD pool the volumes are created in.'),
  userId: z.string().min(1).describe('Ceph user (without `client.`) the CSI driver authenticates as.'),
  userKey: secretRef.describe("Reference to the Ceph user's key (`env:` or `file:`), never the key."),
  namespace: dnsLabel.default('ceph-csi').describe('Namespace of the ceph-csi driver.'),
  secretName: dnsLabel
    .default('csi-rbd-secret')
    .describe('Secret holding the Ceph user; the StorageClass references it by this same name.'),
  secretNamespace: dnsLabel.default('default').describe('Namespace of that Secret.'),
  storageClass: dnsLabel.default('ceph-storage').describe('Name of the StorageClass for Ceph RBD volumes.'),
  fsType: z.enum(['xfs', 'ext4']).default('xfs').describe('File system put on the volumes.'),
  imageFeatures: z.string().default('layering').describe('RBD image features, comma separated.'),
  driver: z
    .strictObject({
      release: z
        .string()
        .regex(/^v\d+\.\d+\.\d+$/, { message: 'must be a ceph-csi release tag such as v1.2.0' })
        .default('v1.2.0')
        .describe('ceph-csi release whose deploy/rbd/kubernetes manifests are applied.'),
      source: z
        .string()
        .regex(/^(https?:\/\/|\/|~\/)/, {
          message: 'must be an http(s) URL or an absolute folder (/… or ~/…) holding the csi-*.yaml files',
        })
        .optional()
        .describe(
          'Where the csi-*.yaml manifests are read: a URL folder, or a local folder for a disconnected lab; ' +
            'defaults to the release on raw.githubusercontent.com.',
        ),
      images: z
        .record(z.string(), z.string().min(1))
        .default({})
        .describe(
          "Images to use instead of the manifests', by container name (e.g. csi-rbdplugin: registry.local/cephcsi:v1.2.0).",
        ),
    })
    .default({ release: 'v1.2.0', images: {} })
    .describe('The ceph-csi driver (RBAC, provisioner Deployment, node plugin DaemonSet) fetched at run time.'),
});

export const registrySchema = z.strictObject({
  storage: z
    .enum(['emptyDir', 'pvc'])
    .default('emptyDir')
    .describe('Where the image registry keeps images: emptyDir (lost on restart) or a claim.'),
  pvc: z
    .strictObject({
      name: dnsLabel.default('image-registry-storage').describe('Name of the claim.'),
      size: z
        .string()
        .regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'must be a quantity such as 100Gi' })
        .default('100Gi')
        .describe('Size of the claim, e.g. `100Gi`.'),
      storageClass: dnsLabel.optional().describe('Defaults to the Ceph StorageClass when ceph is configured.'),
      accessMode: z
        .enum(['ReadWriteOnce', 'ReadWriteMany'])
        .default('ReadWriteOnce')
        .describe('Access mode of the claim; Ceph RBD volumes are ReadWriteOnce.'),
    })
    .optional()
    .describe('The claim; the registry config refers to it by this same name.'),
  bindDeadline: duration
    .default('10m')
    .describe('How long the claim may stay Pending before the run pauses on it (at most 6h).'),
});

const port = z.number().int().min(1).max(65535);

const redirectDestination = z.strictObject({
  port: port.optional().describe('Local port on the router; omitted = the fallback destination for any other traffic.'),
  protocol: z.enum(['tcp', 'udp']).default('tcp').describe('Protocol of the redirected port.'),
  address: ipv4.describe('Where the traffic goes.'),
  targetPort: port.optional().describe('Remote port, when it differs from `port`.'),
});

const egressRouterBase = {
  name: dnsLabel.describe("Router name: its ReplicationController's and Service's."),
  sourceIP: ipv4.describe("An unused address of the node subnet, NAT source of the router's traffic."),
  gateway: ipv4.optional().describe('Defaults to the subnet gateway.'),
  nodeSelector: z
    .record(z.string(), z.string())
    .optional()
    .describe('Nodes the router may run on, as labels; defaults to the infra role label.'),
  image: z.string().optional().describe('Router image; defaults to the one of the release.'),
  tolerations: z
    .array(tolerationSchema)
    .optional()
    .describe(
      "OpenShift SDN: tolerations of the router's pod, for tainted nodes; left out, a router on the infra nodes " +
        '(a nodeSelector with the infra role label, as the default one) takes day2.infra.routerTolerations.',
    ),
};

export const egressRouterSchema = z
  .discriminatedUnion('mode', [
    z
      .strictObject({
        ...egressRouterBase,
        mode: z.literal('redirect').describe('Redirects ports to fixed addresses.'),
        destinations: z
          .array(redirectDestination)
          .min(1, { message: 'a redirect router needs at least one destination' })
          .describe('Where each port goes; one destination without a port takes the rest.'),
      })
      .describe('Redirects ports to fixed addresses.'),
    z
      .strictObject({
        ...egressRouterBase,
        mode: z.literal('http-proxy').describe('An HTTP proxy that applies proxyRules.'),
        proxyRules: z
          .array(z.string().min(1))
          .min(1, { message: 'an http-proxy router needs at least one rule, e.g. "*"' })
          .describe('Squid-style rules, first match wins: `!*.example.com` denies, `*` allows the rest.'),
        port: port.default(8080).describe('Port the proxy Service listens on.'),
      })
      .describe('An HTTP proxy that applies proxyRules.'),
  ])
  .describe('An egress router: pods reach outside through its fixed source address.');

export const namespaceEgressSchema = z
  .strictObject({
    namespace: dnsLabel.describe(
      "Project whose pods' outgoing traffic leaves with these addresses (its NetNamespace on OpenShift SDN, " +
        'the namespaceSelector of its EgressIP on OVN-Kubernetes).',
    ),
    ips: z
      .array(
        z.strictObject({
          ip: ipv4.describe('An unused address of the node subnet.'),
          node: dnsLabel.describe(
            'OpenShift SDN: the node whose HostSubnet holds the address (the next address takes over when it is down). ' +
              'OVN-Kubernetes: a node labelled k8s.ovn.org/egress-assignable, one of those OVN assigns the addresses to ' +
              '(and moves them between).',
          ),
        }),
      )
      .min(1, { message: 'needs at least one address, e.g. { ip: 10.42.253.45, node: compute3 }' })
      .describe('The egress IPs of the namespace, in order of preference, each on a node.'),
    podSelector: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        "OVN-Kubernetes only: labels of the namespace's pods the addresses apply to (the EgressIP's podSelector); every pod when left out.",
      ),
  })
  .describe(
    'Fixed egress addresses of a namespace: NetNamespace / HostSubnet egressIPs on OpenShift SDN, an EgressIP object on OVN-Kubernetes.',
  );

export const egressSchema = z.strictObject({
  namespace: dnsLabel.default('egress-routers').describe('Namespace of the routers.'),
  serviceAccount: dnsLabel
    .default('egress-init')
    .describe('Service account allowed to run the privileged init container.'),
  routers: z.array(egressRouterSchema).min(1).describe('The routers, each with its own name and source address.'),
  egressIPs: z
    .array(namespaceEgressSchema)
    .optional()
    .describe(
      "Namespaces whose traffic leaves with fixed addresses: on OpenShift SDN set on their NetNamespace and the nodes' " +
        'HostSubnets; on OVN-Kubernetes an EgressIP per namespace and the egress-assignable label on the nodes listed.',
    ),
});

export const day2Schema = z.strictObject({
  ldap: ldapSchema.optional().describe('LDAP identity provider for the OAuth server.'),
  infra: infraSchema.optional().describe('Infra nodes: their MachineConfigPool and the routers on them.'),
  ceph: cephSchema.optional().describe('Ceph RBD storage through ceph-csi.'),
  registry: registrySchema.optional().describe('Storage of the image registry.'),
  egress: egressSchema.optional().describe('Egress routers and namespace egress IPs.'),
});

export const rebuildSchema = z.strictObject({
  allowTeardown: z
    .boolean({ message: 'must be true or false' })
    .default(false)
    .describe(
      'Lets the `rebuild` runbook tear the cluster down (every node powered off and made to reinstall on its ' +
        'next boot). Off by default: a rebuild of a lab without it stops before touching anything.',
    ),
});

// ---------------------------------------------------------------------------------------------
// Notices

/**
 * When a run sends a notice: it waits for a person (a failed step, a gate), a paused wait went on by
 * itself (`resumed`), an operator skipped a paused step (`skipped`, with what its check said), or the
 * run has ended. A run started before an event existed holds its lab's `on` list as parsed then,
 * without it: its replay sends nothing new.
 */
export const NOTICE_EVENTS = [
  'paused',
  'resumed',
  'waiting-approval',
  'skipped',
  'aborted',
  'failed',
  'completed',
] as const;

export const webhookSchema = z.strictObject({
  name: dnsLabel.describe('Names the webhook in logs and in the notice child workflow (the URL never appears).'),
  url: secretRef.describe(
    'Reference to the webhook URL (`env:` or `file:`): such URLs carry a token, so the URL is a secret. http:// or https://.',
  ),
  on: z
    .array(z.enum(NOTICE_EVENTS))
    .min(1)
    .default([...NOTICE_EVENTS])
    .describe('The events that send a notice here; every event by default.'),
});

export const notifySchema = z.strictObject({
  webhooks: z
    .array(webhookSchema)
    .min(1)
    // The name identifies the webhook's delivery in a notice (its activity id): one delivery per name.
    .superRefine((webhooks, context) => {
      webhooks.forEach((webhook, index) => {
        if (webhooks.findIndex((other) => other.name === webhook.name) < index)
          context.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `names the webhook "${webhook.name}" a second time; give each webhook its own name`,
          });
      });
    })
    .describe('Each gets a JSON notice (POST) when a run pauses, waits at a gate, fails or completes.'),
});

/** What a wait does once it has passed its deadline and paused the run. */
export const waitsSchema = z.strictObject({
  keepWatching: duration
    .default('4h')
    .describe(
      'How long a wait that passed its deadline keeps checking its condition while the run is paused ' +
        '(lab time in a rehearsal); when the condition holds, the run goes on by itself and says so. ' +
        '`0s`: the run waits for `runbook resume` only. Waits that need a person say so and never go on alone.',
    ),
});

// ---------------------------------------------------------------------------------------------
// The lab

export const secretsSchema = z.strictObject({
  pullSecret: secretRef.describe('The pull secret from the Red Hat console.'),
  sshPublicKey: secretRef.describe("Public key put into install-config (`core` user's authorized key)."),
  sshPrivateKey: secretRef.describe('Private key the runbooks use to reach the helper hosts over SSH.'),
});

export const labSchema = z.strictObject({
  apiVersion: z
    .literal('openshift-runbooks/v1', { message: 'must be "openshift-runbooks/v1"' })
    .describe('Version of the lab file format.'),
  kind: z.literal('Lab', { message: 'must be "Lab"' }).describe('Always `Lab`.'),
  name: dnsLabel.describe('Lab id, part of workflow ids (`install/<name>`); a DNS label.'),
  description: z.string().optional().describe('Free text for people.'),
  cluster: clusterSchema.describe('The OpenShift cluster: names, release, networks.'),
  network: subnetSchema.describe('The node subnet and what DHCP hands out on it.'),
  nodes: z
    .array(nodeSchema)
    .min(1, { message: 'needs at least the bootstrap node and the masters' })
    .describe('Every machine of the cluster: the bootstrap node, the masters, workers and infra nodes.'),
  hosts: z
    .array(hostSchema)
    .min(1, { message: 'needs the helper hosts (DNS, DHCP, PXE, HAProxy)' })
    .describe('Helper hosts: DNS, DHCP, PXE/HTTP, HAProxy and hypervisors, reached over SSH.'),
  secrets: secretsSchema.describe('References to the secrets the install needs, never the secrets themselves.'),
  install: installSchema
    .default(() => installSchema.parse({}))
    .describe('Where and how `openshift-install` runs: the install folder, the binary, the install deadlines.'),
  day2: day2Schema.default({}).describe('Settings of the day-2 runbooks.'),
  notify: notifySchema.optional().describe('Webhooks told when a run waits for a person or ends.'),
  waits: waitsSchema
    .default(() => waitsSchema.parse({}))
    .describe('What a wait does after its deadline: keep watching while paused, and go on by itself.'),
  rebuild: rebuildSchema
    .default(() => rebuildSchema.parse({}))
    .describe('Whether the `rebuild` runbook may tear this lab down (`allowTeardown: true`).'),
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
export type NamespaceEgress = NonNullable<Egress['egressIPs']>[number];
export type Toleration = NonNullable<NonNullable<Day2['infra']>['routerTolerations']>[number];
export type SecretRef = z.output<typeof secretRef>;
export type Webhook = NonNullable<Lab['notify']>['webhooks'][number];
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

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
