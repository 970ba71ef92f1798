/**
 * Every file each example lab renders, compared byte for byte with its golden folder: the current
 * example (OpenShift 4.21, OVN-Kubernetes) with test/golden/example/, the procedure's 4.2 / SDN lab
 * (reviewed against the reference procedure) with test/golden/example-4.2-sdn/; and the PXE files
 * at the releases in between. UPDATE_GOLDEN=1 rewrites them; review the diff before committing.
 */
import { describe, expect, test } from '@jest/globals';
import { artifacts, renderAll, renderArtifact } from '../../render/index.js';
import { expectGolden } from '../support/golden.js';
import { exampleAt } from './releases.js';
import { loadExampleLab, loadSdnExampleLab, sdnExampleLabPath } from './support.js';

// On OVN-Kubernetes the egress routers are EgressRouter objects, run by the network operator: no SCC of ours.
describe.each([
  ['example', await loadExampleLab(), ['egress.scc']],
  ['example-4.2-sdn', await loadSdnExampleLab(), []],
])('the %s lab', (folder, lab, notRendered) => {
  const files = renderAll(lab);

  test('renders every artifact of the catalogue it has a use for', () => {
    expect([...new Set(files.map((file) => file.artifact))].sort()).toEqual(
      Object.keys(artifacts)
        .filter((name) => !notRendered.includes(name))
        .sort(),
    );
  });

  test('renders each path once', () => {
    expect(new Set(files.map((file) => file.path)).size).toBe(files.length);
  });

  test('renders the same bytes every time', () => {
    expect(renderAll(lab)).toEqual(files);
  });

  test.each(files.map((file) => [file.path, file] as const))('%s matches its golden file', (path, file) => {
    expectGolden(`${folder}/${path}`, file.content);
  });

  test('says where each host file goes', () => {
    const placed = files.filter((file) => file.host !== undefined).map((file) => `${file.host}:${file.target}`);
    expect(placed).toEqual(
      expect.arrayContaining([
        'netserv1:/etc/bind/zones/db.nodes.example.com',
        'netserv2:/etc/bind/named.conf.openshift',
        'netserv1:/etc/dhcp/dhcpd.conf',
        'pxe:/srv/tftpboot/pxelinux.cfg/01-52-54-00-e1-48-6a',
        'pxe:/srv/tftpboot/grub.cfg-01-52-54-00-e1-60-5b',
        'haproxy2:/etc/haproxy/haproxy.cfg',
      ]),
    );
    // Cluster objects and install files go through the API or openshift-install, not to a host.
    expect(
      files
        .filter((file) => file.path.startsWith('cluster/') || file.path.startsWith('install/'))
        .every((file) => file.host === undefined),
    ).toBe(true);
  });
});

/**
 * Boot parameters by release: the 4.2 example's PXE files (PXELINUX and GRUB, per node and menus) at
 * 4.5 (installer kernel, one metal image) and 4.6 (live kernel, initramfs and rootfs), between its
 * own 4.2 files and the 4.21 files of the current example above.
 */
describe.each([
  ['release-4.5', { version: '4.5.6', rhcosVersion: '4.5.6' }],
  ['release-4.6', { version: '4.6.1', rhcosVersion: '4.6.1' }],
])('the example lab at %s', (folder, cluster) => {
  const pxe = renderArtifact(exampleAt(cluster, undefined, sdnExampleLabPath), 'pxe');

  test('renders a PXELINUX config per BIOS node, a GRUB config per UEFI node and both menus', () => {
    expect(new Set(pxe.map((file) => file.artifact))).toEqual(
      new Set(['pxe.bios', 'pxe.uefi', 'pxe.menu', 'pxe.grub-menu']),
    );
  });

  test.each(pxe.map((file) => [file.path, file] as const))('%s matches its golden file', (path, file) => {
    expectGolden(`${folder}/${path}`, file.content);
  });
});
