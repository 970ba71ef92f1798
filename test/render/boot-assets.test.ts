/**
 * bootAssetsFor: the RHCOS files of each release generation, their mirror URLs (the seed's for 4.2),
 * checksums from the lab, and where they go on the PXE/HTTP host; and the PXE lines that use them.
 */
import { describe, expect, test } from '@jest/globals';
import { hostsWith } from '../../lab/schema.js';
import { bootAssetsFor } from '../../render/boot-assets.js';
import { bootEntry } from '../../render/pxe.js';
import { loadExampleLab, loadSdnExampleLab, sdnExampleLabPath } from './example.js';
import { exampleAt } from './releases.js';

/** The procedure's OpenShift 4.2 lab; the current example (4.21) is `current`. */
const lab = await loadSdnExampleLab();
const current = await loadExampleLab();
/** What the reference procedure downloads and boots with (its PXE section, OpenShift 4.2). */
const seed = [
  'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.2/4.2.0/rhcos-4.2.0-x86_64-installer-kernel',
  'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.2/4.2.0/rhcos-4.2.0-x86_64-installer-initramfs.img',
  'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.2/4.2.0/rhcos-4.2.0-x86_64-metal-bios.raw.gz',
  'kernel installers/ocp4-rhcos-4.2.0/x86_64/linux',
  'append initrd=installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw ip=dhcp rd.neednet=1 coreos.inst=yes ' +
    'coreos.inst.install_dev=vda ' +
    'coreos.inst.image_url=http://10.42.44.100/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz ' +
    'coreos.inst.ignition_url=http://10.42.44.100/ocp4/bootstrap.ign',
].join('\n');
const sha = (digit: string) => digit.repeat(64);

describe('bootAssetsFor', () => {
  test('4.21 (the example): the live kernel, initramfs and rootfs, the kernel named as from 4.19', () => {
    const boot = bootAssetsFor(current);
    expect(boot.generation).toBe('live');
    expect(boot.mirror).toBe('https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.21/4.21.0/');
    expect(boot.assets.map((asset) => [asset.kind, asset.file, asset.servedBy])).toEqual([
      ['kernel', 'rhcos-4.21.0-x86_64-live-kernel.x86_64', 'tftp'],
      ['initramfs', 'rhcos-4.21.0-x86_64-live-initramfs.x86_64.img', 'tftp'],
      ['rootfs', 'rhcos-4.21.0-x86_64-live-rootfs.x86_64.img', 'http'],
    ]);
    const [pxeHost] = hostsWith(current, 'pxe');
    const compute1 = current.nodes.find((candidate) => candidate.name === 'compute1');
    if (pxeHost === undefined || compute1 === undefined) throw new Error('the example has a PXE host and compute1');
    expect(bootEntry(current, pxeHost, compute1).args).toBe(
      'coreos.live.rootfs_url=http://10.42.44.100/ocp4/rhcos-4.21.0-x86_64-live-rootfs.x86_64.img ' +
        'coreos.inst.install_dev=/dev/vda coreos.inst.ignition_url=http://10.42.44.100/ocp4/worker.ign',
    );
    // Up to 4.18 the kernel's architecture follows a dash.
    expect(bootAssetsFor(exampleAt({ version: '4.18.1', rhcosVersion: '4.18.1' })).assets[0]?.file).toBe(
      'rhcos-4.18.1-x86_64-live-kernel-x86_64',
    );
  });

  test("4.2 (the procedure's lab): installer kernel, initramfs and the metal images, from the URLs of the reference procedure", () => {
    const boot = bootAssetsFor(lab);
    expect(boot.generation).toBe('installer');
    expect(boot.mirror).toBe('https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.2/4.2.0/');
    expect(boot.checksums).toBe(`${boot.mirror}sha256sum.txt`);
    expect(boot.assets.map((asset) => [asset.kind, asset.file, asset.servedBy, asset.path])).toEqual([
      ['kernel', 'rhcos-4.2.0-x86_64-installer-kernel', 'tftp', 'installers/ocp4-rhcos-4.2.0/x86_64/linux'],
      [
        'initramfs',
        'rhcos-4.2.0-x86_64-installer-initramfs.img',
        'tftp',
        'installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw',
      ],
      ['metalBios', 'rhcos-4.2.0-x86_64-metal-bios.raw.gz', 'http', 'rhcos-4.2.0-x86_64-metal-bios.raw.gz'],
      ['metalUefi', 'rhcos-4.2.0-x86_64-metal-uefi.raw.gz', 'http', 'rhcos-4.2.0-x86_64-metal-uefi.raw.gz'],
    ]);
    // The seed downloads kernel, initramfs and BIOS image from exactly these URLs.
    for (const asset of boot.assets.filter((candidate) => candidate.kind !== 'metalUefi'))
      expect([asset.kind, seed.includes(asset.source)]).toEqual([asset.kind, true]);
    expect(boot.assets.every((asset) => asset.sha256 === undefined)).toBe(true);
    expect(boot.assets.map((asset) => asset.placements)).toEqual([
      [{ host: 'pxe', target: '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/linux' }],
      [{ host: 'pxe', target: '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw' }],
      [
        {
          host: 'pxe',
          target: '/var/www/html/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz',
          url: 'http://10.42.44.100/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz',
        },
      ],
      [
        {
          host: 'pxe',
          target: '/var/www/html/ocp4/rhcos-4.2.0-x86_64-metal-uefi.raw.gz',
          url: 'http://10.42.44.100/ocp4/rhcos-4.2.0-x86_64-metal-uefi.raw.gz',
        },
      ],
    ]);
  });

  test('4.2 lists only the metal images of the firmwares the nodes use', () => {
    const allBios = exampleAt(
      {},
      (input) => {
        for (const node of input.nodes) delete node.boot;
      },
      sdnExampleLabPath,
    );
    expect(bootAssetsFor(allBios).assets.map((asset) => asset.kind)).toEqual(['kernel', 'initramfs', 'metalBios']);
  });

  test('4.3 to 4.5: installer files named with the architecture, one metal image for both firmwares', () => {
    const boot = bootAssetsFor(exampleAt({ version: '4.5.6', rhcosVersion: '4.5.6' }));
    expect(boot.generation).toBe('installer');
    expect(boot.mirror).toBe('https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.5/4.5.6/');
    expect(boot.assets.map((asset) => asset.file)).toEqual([
      'rhcos-4.5.6-x86_64-installer-kernel-x86_64',
      'rhcos-4.5.6-x86_64-installer-initramfs.x86_64.img',
      'rhcos-4.5.6-x86_64-metal.x86_64.raw.gz',
    ]);
  });

  test('4.6 and later: live kernel, initramfs and rootfs; the rootfs is served over HTTP', () => {
    const boot = bootAssetsFor(exampleAt({ version: '4.6.1', rhcosVersion: '4.6.1' }));
    expect(boot.generation).toBe('live');
    expect(boot.assets.map((asset) => [asset.kind, asset.source, asset.servedBy])).toEqual([
      [
        'kernel',
        'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.6/4.6.1/rhcos-4.6.1-x86_64-live-kernel-x86_64',
        'tftp',
      ],
      [
        'initramfs',
        'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.6/4.6.1/rhcos-4.6.1-x86_64-live-initramfs.x86_64.img',
        'tftp',
      ],
      [
        'rootfs',
        'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.6/4.6.1/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img',
        'http',
      ],
    ]);
    expect(boot.assets[2]?.placements).toEqual([
      {
        host: 'pxe',
        target: '/var/www/html/ocp4/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img',
        url: 'http://10.42.44.100/ocp4/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img',
      },
    ]);
  });

  test('RHCOS build ids are accepted and name their files and folder', () => {
    const boot = bootAssetsFor(exampleAt({ version: '4.6.0', rhcosVersion: '46.82.202008181646-0' }));
    expect(boot.mirror).toBe(
      'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.6/46.82.202008181646-0/',
    );
    expect(boot.assets.map((asset) => asset.file)).toEqual([
      'rhcos-46.82.202008181646-0-live-kernel-x86_64',
      'rhcos-46.82.202008181646-0-live-initramfs.x86_64.img',
      'rhcos-46.82.202008181646-0-live-rootfs.x86_64.img',
    ]);
    const old = bootAssetsFor(exampleAt({ version: '4.2.0', rhcosVersion: '42.80.20191002.0' }));
    expect(old.assets[0]?.source).toBe(
      'https://mirror.openshift.com/pub/openshift-v4/dependencies/rhcos/4.2/42.80.20191002.0/rhcos-42.80.20191002.0-installer-kernel',
    );
  });

  test("the lab's mirror and sha256 values are used; files without one are left to sha256sum.txt", () => {
    const boot = bootAssetsFor(
      exampleAt({
        version: '4.6.1',
        rhcosVersion: '4.6.1',
        rhcosMirror: 'http://mirror.lab.example.com/rhcos/4.6.1',
        rhcosSha256: { kernel: sha('a'), rootfs: sha('b') },
      }),
    );
    expect(boot.mirror).toBe('http://mirror.lab.example.com/rhcos/4.6.1/');
    expect(boot.checksums).toBe('http://mirror.lab.example.com/rhcos/4.6.1/sha256sum.txt');
    expect(boot.assets.map((asset) => [asset.kind, asset.source, asset.sha256])).toEqual([
      ['kernel', 'http://mirror.lab.example.com/rhcos/4.6.1/rhcos-4.6.1-x86_64-live-kernel-x86_64', sha('a')],
      [
        'initramfs',
        'http://mirror.lab.example.com/rhcos/4.6.1/rhcos-4.6.1-x86_64-live-initramfs.x86_64.img',
        undefined,
      ],
      ['rootfs', 'http://mirror.lab.example.com/rhcos/4.6.1/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img', sha('b')],
    ]);
  });

  test('aarch64 comes from its own tree of the public mirror', () => {
    const boot = bootAssetsFor(exampleAt({ version: '4.10.3', rhcosVersion: '4.10.3', architecture: 'aarch64' }));
    expect(boot.assets[0]?.source).toBe(
      'https://mirror.openshift.com/pub/openshift-v4/aarch64/dependencies/rhcos/4.10/4.10.3/rhcos-4.10.3-aarch64-live-kernel-aarch64',
    );
  });
});

describe('PXE kernel lines by release', () => {
  const [host] = hostsWith(lab, 'pxe');
  if (host === undefined) throw new Error('the example has a PXE host');
  const node = (of: typeof lab, name: string) => {
    const found = of.nodes.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no node ${name}`);
    return found;
  };

  test("4.2: installer arguments with the firmware's metal image, as the reference procedure writes them", () => {
    const entry = bootEntry(lab, host, node(lab, 'bootstrap'));
    expect(seed).toContain(`kernel ${entry.kernel}`);
    expect(seed).toContain(`append initrd=${entry.initramfs} ${entry.args}`);
    expect(bootEntry(lab, host, node(lab, 'compute5')).args).toContain(
      'coreos.inst.image_url=http://10.42.44.100/ocp4/rhcos-4.2.0-x86_64-metal-uefi.raw.gz',
    );
  });

  test('4.6: live rootfs URL, install device path and ignition; no installer image', () => {
    const live = exampleAt({ version: '4.6.1', rhcosVersion: '4.6.1' });
    const entry = bootEntry(live, host, node(live, 'master1'));
    expect(entry).toEqual({
      title: 'master1: install RHCOS 4.6.1 x86_64 as master',
      kernel: 'installers/ocp4-rhcos-4.6.1/x86_64/linux',
      initramfs: 'installers/ocp4-rhcos-4.6.1/x86_64/initrd-raw',
      args:
        'coreos.live.rootfs_url=http://10.42.44.100/ocp4/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img ' +
        'coreos.inst.install_dev=/dev/vda coreos.inst.ignition_url=http://10.42.44.100/ocp4/master.ign',
    });
  });

  test.each(Array.from({ length: 15 }, (_, index) => `4.${index + 2}.0`))(
    'at %s every node boots exactly the files bootAssetsFor lists',
    (release) => {
      const at = exampleAt({ version: release, rhcosVersion: release });
      const boot = bootAssetsFor(at);
      const [pxeHost] = hostsWith(at, 'pxe');
      if (pxeHost === undefined) throw new Error('the example has a PXE host');
      const used = new Set<string>();
      for (const entry of at.nodes.map((candidate) => bootEntry(at, pxeHost, candidate, boot))) {
        const urls = entry.args.match(/https?:\/\/\S+/g) ?? [];
        for (const url of [entry.kernel, entry.initramfs, ...urls.filter((candidate) => !candidate.endsWith('.ign'))]) {
          const asset = boot.assets.find(
            (candidate) => candidate.path === url || candidate.placements.some((place) => place.url === url),
          );
          expect([url, asset === undefined ? 'not listed' : 'listed']).toEqual([url, 'listed']);
          if (asset !== undefined) used.add(asset.kind);
        }
      }
      expect([...used].sort()).toEqual(boot.assets.map((asset) => asset.kind).sort());
    },
  );
});
