/**
 * Every file the example lab renders, compared byte for byte with test/golden/example/ (reviewed
 * against the reference procedure), and its PXE files at later releases. UPDATE_GOLDEN=1 rewrites them;
 * review the diff before committing.
 */
import { describe, expect, test } from '@jest/globals';
import { artifacts, renderAll, renderArtifact } from '../../render/index.js';
import { expectGolden } from '../support/golden.js';
import { exampleAt } from './releases.js';
import { loadExampleLab } from './support.js';

const lab = await loadExampleLab();
const files = renderAll(lab);

describe('the example lab', () => {
  test('renders every artifact of the catalogue', () => {
    expect([...new Set(files.map((file) => file.artifact))].sort()).toEqual(Object.keys(artifacts).sort());
  });

  test('renders each path once', () => {
    expect(new Set(files.map((file) => file.path)).size).toBe(files.length);
  });

  test('renders the same bytes every time', () => {
    expect(renderAll(lab)).toEqual(files);
  });

  test.each(files.map((file) => [file.path, file] as const))('%s matches its golden file', (path, file) => {
    expectGolden(`example/${path}`, file.content);
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
 * Boot parameters by release: the example's PXE files (PXELINUX and GRUB, per node and menus) at
 * 4.5 (installer kernel, one metal image) and 4.6 (live kernel, initramfs and rootfs), next to the
 * example's own 4.2 files above.
 */
describe.each([
  ['release-4.5', { version: '4.5.6', rhcosVersion: '4.5.6' }],
  ['release-4.6', { version: '4.6.1', rhcosVersion: '4.6.1' }],
])('the example lab at %s', (folder, cluster) => {
  const pxe = renderArtifact(exampleAt(cluster), 'pxe');

  test('renders a PXELINUX config per BIOS node, a GRUB config per UEFI node and both menus', () => {
    expect(new Set(pxe.map((file) => file.artifact))).toEqual(
      new Set(['pxe.bios', 'pxe.uefi', 'pxe.menu', 'pxe.grub-menu']),
    );
  });

  test.each(pxe.map((file) => [file.path, file] as const))('%s matches its golden file', (path, file) => {
    expectGolden(`${folder}/${path}`, file.content);
  });
});
