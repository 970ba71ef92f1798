/** Behaviour of the renderers beyond the example's goldens: other shapes of lab, edge cases, choices. */
import { describe, expect, test } from '@jest/globals';
import { parseNetwork } from '../../lab/ip.js';
import type { Lab } from '../../lab/schema.js';
import { cephSccGrants, withSccUsers } from '../../render/ceph.js';
import { dhcpdConfText } from '../../render/dhcp.js';
import { dnsZones, zoneText } from '../../render/dns.js';
import { egressRouterController, egressRouterService } from '../../render/egress.js';
import { balancers } from '../../render/haproxy.js';
import { renderArtifact, renderOnly, RenderError } from '../../render/index.js';
import { installConfig, patchSchedulerManifest } from '../../render/install-config.js';
import { ptrOwner, reverseZones } from '../../render/ipv4.js';
import { registryPvc, registryStoragePatch } from '../../render/registry.js';
import { loadSdnExampleLab } from './example.js';
import { regexp } from '../support/regexp.js';

/** The procedure's 4.2 / SDN lab: the renderers' expectations follow the reference procedure. */
const lab = await loadSdnExampleLab();
const withLab = (change: (copy: Lab) => void): Lab => {
  const copy = structuredClone(lab);
  change(copy);
  return copy;
};

describe('reverse zones', () => {
  test.each([
    ['10.42.253.0/24', ['253.42.10.in-addr.arpa']],
    ['10.42.252.0/23', ['252.42.10.in-addr.arpa', '253.42.10.in-addr.arpa']],
    ['10.42.253.64/26', ['253.42.10.in-addr.arpa']],
    ['10.42.0.0/16', ['42.10.in-addr.arpa']],
    ['10.0.0.0/8', ['10.in-addr.arpa']],
  ])('%s → %j', (cidr, names) => {
    expect(reverseZones(parseNetwork(cidr)).map((zone) => zone.name)).toEqual(names);
  });

  test('a /20 is sixteen /24 zones, and PTR owners are relative to their zone', () => {
    const zones = reverseZones(parseNetwork('172.16.32.0/20'));
    expect(zones).toHaveLength(16);
    expect(zones[15]?.name).toBe('47.16.172.in-addr.arpa');
    const [wide] = reverseZones(parseNetwork('10.42.0.0/16'));
    if (wide === undefined) throw new Error('no zone');
    expect(ptrOwner(wide, '10.42.253.9')).toBe('9.253');
  });

  test('a /26 gets the enclosing /24 zone with only its own PTRs', () => {
    const small = withLab((copy) => {
      copy.network.cidr = '10.42.253.0/26';
    });
    const reverse = dnsZones(small).filter((zone) => zone.artifact === 'dns.reverse-zone');
    expect(reverse.map((zone) => zone.name)).toEqual(['253.42.10.in-addr.arpa']);
    // haproxy1/2 (.150/.151) are outside the /26: no PTR for them here.
    expect(reverse[0]?.records.map((record) => record.owner)).toEqual([
      '3',
      '5',
      '9',
      '10',
      '11',
      '12',
      '13',
      '14',
      '15',
      '20',
      '21',
      '22',
      '23',
      '24',
    ]);
  });
});

describe('DNS zones', () => {
  test('a nodes domain equal to the cluster domain gives one forward zone holding both', () => {
    const same = withLab((copy) => {
      copy.cluster.nodesDomain = 'intra.example.com';
    });
    const zones = dnsZones(same);
    expect(zones.map((zone) => zone.name)).toEqual(['intra.example.com', '253.42.10.in-addr.arpa']);
    expect(zones[0]?.records).toEqual(
      expect.arrayContaining([
        { owner: 'master1', type: 'A', data: '10.42.253.10' },
        { owner: 'api', type: 'A', data: '10.42.253.150' },
      ]),
    );
  });

  test('etcd SRV records point into the cluster domain, one per master', () => {
    const cluster = dnsZones(lab)[1];
    expect(cluster?.records.filter((record) => record.type === 'SRV').map((record) => record.data)).toEqual([
      '0 10 2380 etcd-0.intra.example.com.',
      '0 10 2380 etcd-1.intra.example.com.',
      '0 10 2380 etcd-2.intra.example.com.',
    ]);
  });

  test('the serial follows the records', () => {
    const serial = (text: string) => /(\d+) ; serial/.exec(text)?.[1];
    const [zone] = dnsZones(lab);
    if (zone === undefined) throw new Error('no zone');
    const moved = {
      ...zone,
      records: zone.records.map((record) =>
        record.owner === 'master1' ? { ...record, data: '10.42.253.99' } : record,
      ),
    };
    expect(serial(zoneText(lab, zone))).toBe(serial(zoneText(lab, structuredClone(zone))));
    expect(serial(zoneText(lab, moved))).not.toBe(serial(zoneText(lab, zone)));
  });
});

describe('dhcpd.conf', () => {
  test('declares the subnet with its mask for any prefix', () => {
    const wide = withLab((copy) => {
      copy.network.cidr = '10.42.252.0/23';
    });
    expect(dhcpdConfText(wide)).toContain('subnet 10.42.252.0 netmask 255.255.254.0 {');
  });

  test('names leases as DNS does and boots UEFI clients into GRUB', () => {
    const text = dhcpdConfText(lab);
    expect(text).toContain('host master1 {');
    expect(text).not.toContain('master0');
    expect(text).toContain('if option arch = 00:07 or option arch = 00:09 {\n        filename "grubx64.efi";');
  });
});

describe('HAProxy backends', () => {
  const servers = (target: Lab, phase: 'bootstrap' | 'final', port: number) =>
    balancers(target, phase)
      .find((balancer) => balancer.port === port)
      ?.servers.map((server) => server.name);

  test('the bootstrap node serves the API and ignition only during install', () => {
    expect(servers(lab, 'bootstrap', 6443)).toEqual(['bootstrap', 'master1', 'master2', 'master3']);
    expect(servers(lab, 'final', 22623)).toEqual(['master1', 'master2', 'master3']);
  });

  test('routers: infra nodes when they move there, else every compute node, else the masters', () => {
    expect(servers(lab, 'final', 443)).toEqual(['infra1', 'infra2', 'infra3']);
    const stay = withLab((copy) => {
      if (copy.day2.infra) copy.day2.infra.moveRouters = false;
    });
    expect(servers(stay, 'final', 80)).toEqual([
      'infra1',
      'infra2',
      'infra3',
      'compute1',
      'compute2',
      'compute3',
      'compute4',
      'compute5',
    ]);
    const compact = withLab((copy) => {
      copy.nodes = copy.nodes.filter((node) => node.role === 'master' || node.role === 'bootstrap');
      delete copy.day2.infra;
    });
    expect(servers(compact, 'final', 443)).toEqual(['master1', 'master2', 'master3']);
  });

  test('a lab without a load balancer host says what to add', () => {
    const none = withLab((copy) => {
      copy.hosts = copy.hosts.filter((host) => host.haproxy === undefined);
    });
    expect(() => renderArtifact(none, 'haproxy')).toThrow(RenderError);
    expect(() => renderArtifact(none, 'haproxy')).toThrow(/no helper host has a "haproxy" block/);
  });
});

describe('install-config', () => {
  test('takes the control plane size from the masters and the machine network per release', () => {
    expect(installConfig(lab)).toMatchObject({
      controlPlane: { replicas: 3 },
      compute: [{ replicas: 0 }],
      networking: { machineCIDR: '10.42.253.0/24' },
    });
    const later = withLab((copy) => {
      copy.cluster.version = '4.6.1';
    });
    expect(installConfig(later)).toMatchObject({ networking: { machineNetwork: [{ cidr: '10.42.253.0/24' }] } });
  });

  test('patchSchedulerManifest sets mastersSchedulable and keeps the rest of the manifest', () => {
    const generated = [
      'apiVersion: config.openshift.io/v1',
      'kind: Scheduler',
      'metadata:',
      '  creationTimestamp: null',
      '  name: cluster',
      'spec:',
      '  mastersSchedulable: true # set by the installer',
      '  policy:',
      '    name: ""',
      'status: {}',
      '',
    ].join('\n');
    const patched = patchSchedulerManifest(generated, false);
    expect(patched).toBe(generated.replace('mastersSchedulable: true', 'mastersSchedulable: false'));
    expect(patchSchedulerManifest(patched, false)).toBe(patched);
    expect(() => patchSchedulerManifest('spec: [', false)).toThrow(/not valid YAML/);
  });
});

describe('registry', () => {
  test('the claim the config patch names is the PVC', () => {
    const registry = lab.day2.registry;
    if (registry === undefined) throw new Error('the example configures the registry');
    const pvc = registryPvc(lab, registry);
    expect(registryStoragePatch(lab, registry).patch).toEqual({
      spec: { managementState: 'Managed', storage: { emptyDir: null, pvc: { claim: pvc.metadata.name } } },
    });
  });

  test('emptyDir drops any pvc; a claim without class uses the Ceph one', () => {
    expect(registryStoragePatch(lab, { storage: 'emptyDir' }).patch).toEqual({
      spec: { managementState: 'Managed', storage: { emptyDir: {}, pvc: null } },
    });
    expect(
      registryPvc(lab, { storage: 'pvc', pvc: { name: 'registry', size: '50Gi', accessMode: 'ReadWriteMany' } }).spec,
    ).toEqual({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '50Gi' } },
      storageClassName: 'ceph-storage',
    });
    const emptyDirLab = withLab((copy) => {
      copy.day2.registry = { storage: 'emptyDir', bindDeadline: '10m' };
    });
    expect(renderArtifact(emptyDirLab, 'registry').map((file) => file.artifact)).toEqual(['registry.config-patch']);
  });
});

describe('egress routers', () => {
  const egress = lab.day2.egress;
  if (egress === undefined) throw new Error('the example configures egress routers');

  test('a redirect router with only a fallback destination gets a headless Service', () => {
    const router = {
      name: 'fallback',
      mode: 'redirect' as const,
      sourceIP: '10.42.253.47',
      destinations: [{ protocol: 'tcp' as const, address: '203.0.113.9' }],
    };
    expect(egressRouterService(egress, router).spec).toEqual({ selector: { name: 'fallback' }, clusterIP: 'None' });
    const controller = egressRouterController(lab, egress, router) as unknown as {
      spec: {
        template: {
          spec: { initContainers: Array<{ env: Array<{ name: string; value: string }> }>; nodeSelector: object };
        };
      };
    };
    const [init] = controller.spec.template.spec.initContainers;
    expect(init?.env).toContainEqual({ name: 'EGRESS_GATEWAY', value: '10.42.253.1' });
    expect(init?.env).toContainEqual({ name: 'EGRESS_DESTINATION', value: '203.0.113.9\n' });
    expect(controller.spec.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/infra': '' });
  });

  test("an HTTP proxy Service maps its port onto the proxy's 8080", () => {
    const router = {
      name: 'proxy',
      mode: 'http-proxy' as const,
      sourceIP: '10.42.253.48',
      proxyRules: ['*'],
      port: 3128,
    };
    expect(egressRouterService(egress, router).spec).toEqual({
      selector: { name: 'proxy' },
      ports: [{ name: 'http-proxy', port: 3128, protocol: 'TCP', targetPort: 8080 }],
    });
  });
});

describe('ceph SCC grants', () => {
  test('adds the missing users once, and nothing when they are there', () => {
    const ceph = lab.day2.ceph;
    if (ceph === undefined) throw new Error('the example configures Ceph');
    const grants = cephSccGrants(ceph);
    const scc = { metadata: { name: 'privileged' }, users: ['system:admin'] };
    const granted = withSccUsers(scc, grants);
    expect(granted?.users).toEqual([
      'system:admin',
      'system:serviceaccount:ceph-csi:rbd-csi-provisioner',
      'system:serviceaccount:ceph-csi:rbd-csi-nodeplugin',
    ]);
    expect(scc.users).toEqual(['system:admin']);
    expect(granted && withSccUsers(granted, grants)).toBeUndefined();
  });
});

describe('catalogue', () => {
  test('selects by group or full name, and names the groups for an unknown one', () => {
    expect(new Set(renderArtifact(lab, 'dns').map((file) => file.artifact))).toEqual(
      new Set(['dns.forward-zone', 'dns.cluster-zone', 'dns.reverse-zone', 'dns.zones-conf']),
    );
    expect(renderArtifact(lab, 'pxe.uefi').map((file) => file.path)).toEqual(['pxe/pxe/grub.cfg-01-52-54-00-e1-60-5b']);
    expect(() => renderArtifact(lab, 'bind')).toThrow(
      /unknown artifact "bind": use one of dns, dhcp, pxe, haproxy, install, ldap, infra, ceph, registry, egress/,
    );
  });

  test('a lab without day-2 sections renders no day-2 artifact', () => {
    const bare = withLab((copy) => {
      copy.day2 = {};
    });
    expect(renderArtifact(bare, 'ldap')).toEqual([]);
    expect(renderArtifact(bare, 'egress')).toEqual([]);
    expect(() => renderOnly(bare, 'ldap')).toThrow(
      regexp(
        /^"ldap" selects no file of this lab \(its lab section is not configured\); /,
        /this lab renders dns\.forward-zone, .*, install\.scheduler-manifest$/,
      ),
    );
    expect(renderOnly(bare, 'dns').length).toBeGreaterThan(0);
  });
});
