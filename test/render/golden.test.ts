/**
 * Every file the example lab renders, compared byte for byte with test/golden/example/ (reviewed
 * against the reference procedure). UPDATE_GOLDEN=1 rewrites them; review the diff before committing.
 */
import { describe, expect, test } from '@jest/globals';
import { artifacts, renderAll } from '../../render/index.js';
import { expectGolden } from '../support/golden.js';
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
