/**
 * The boot-asset step on a bare simulated lab, as the worker registers it: the simulated PXE host
 * downloads the RHCOS stand-ins from the simulated mirror with its curl, checks them with its
 * sha256sum, moves them into place; a second run changes nothing; a corrupted download is refused
 * and removed; a mirror off loopback is refused before any connection.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseSha256Sums } from '../../../activities/install/boot-assets.js';
import { createActivities } from '../../../activities/index.js';
import { loadLab } from '../../../lab/load.js';
import { bootAssetsFor } from '../../../render/boot-assets.js';
import { startSimulatedLab } from '../../../simulator/lab-sim.js';
import { sha256Hex, standInContent } from '../../../simulator/mirror.js';
import type { StepContext, StepResult } from '../../../contract/step.js';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from '../../simulator/install/support.js';

const activities = createActivities();
let t: TestLab;

beforeAll(async () => {
  t = await startTestLab('bare', { labFile: SDN_EXAMPLE_LAB });
});
afterAll(async () => {
  await t?.stop();
});

function contextFor(endpointsFile = t.sim.endpointsPath): StepContext {
  return {
    runbook: 'install',
    stepId: 'pxe.hosts[pxe].boot-assets',
    lab: t.lab,
    item: 'pxe',
    rehearsal: { endpointsFile, kubeconfig: t.sim.kubeconfigPath },
  };
}

const run = async (context = contextFor()): Promise<StepResult> =>
  (await new MockActivityEnvironment().run(activities.installBootAssets, context)) as StepResult;

async function failureOf(context = contextFor()): Promise<ApplicationFailure> {
  const failure = await run(context).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

/** Local path of a file on the simulated pxe host. */
function onPxe(remote: string): string {
  const root = t.sim.endpoints.hosts.find((host) => host.name === 'pxe')!.root;
  return path.join(root, remote);
}

const placements = () =>
  bootAssetsFor(t.lab).assets.flatMap((asset) =>
    asset.placements.filter((placement) => placement.host === 'pxe').map((placement) => ({ asset, placement })),
  );

/** Left-over downloads (`.part`) beside the targets. */
async function strays(): Promise<string[]> {
  const folders = new Set(placements().map(({ placement }) => path.posix.dirname(placement.target)));
  const found: string[] = [];
  for (const folder of folders) found.push(...(await readdir(onPxe(folder))).filter((name) => name.endsWith('.part')));
  return found;
}

const curlRuns = () => t.logs.filter((line) => /^pxe: curl /.test(line)).length;
const assetGets = () => t.sim.mirror.requests.filter((request) => !request.endsWith('/sha256sum.txt')).length;

describe('boot assets on the simulated PXE host', () => {
  test('the first run downloads every file of the release with exactly the mirror sums; the second changes nothing', async () => {
    // The lab's sums are those of the real files: a rehearsal checks the stand-ins against its mirror.
    t.lab.cluster.rhcosSha256 = { kernel: 'a'.repeat(64) };
    const mirrorSums = parseSha256Sums(t.sim.mirror.files.get('sha256sum.txt')!.toString('utf8'));
    expect([...mirrorSums.keys()]).toEqual(bootAssetsFor(t.lab).assets.map((asset) => asset.file));

    const first = await run();
    expect(first).toMatchObject({ changed: true, attempt: 1 });
    expect(first.detail).toMatch(/^downloaded rhcos-4\.2\.0-x86_64-installer-kernel, .* to pxe, sha256 verified$/);
    expect(placements().map(({ placement }) => placement.target)).toEqual([
      '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/linux',
      '/srv/tftpboot/installers/ocp4-rhcos-4.2.0/x86_64/initrd-raw',
      '/var/www/html/ocp4/rhcos-4.2.0-x86_64-metal-bios.raw.gz',
      '/var/www/html/ocp4/rhcos-4.2.0-x86_64-metal-uefi.raw.gz',
    ]);
    for (const { asset, placement } of placements()) {
      const content = await readFile(onPxe(placement.target));
      expect(sha256Hex(content)).toBe(mirrorSums.get(asset.file));
      expect(content.subarray(0, 80).toString('utf8')).toContain(`stand-in ${asset.file} for rehearsals\n`);
      expect(content.equals(standInContent(asset.file))).toBe(true);
    }
    expect(await strays()).toEqual([]);
    expect(curlRuns()).toBe(4);

    const downloads = assetGets();
    const second = await run();
    expect(second).toEqual({
      changed: false,
      detail: 'pxe has the RHCOS 4.2.0 files (kernel, initramfs, metalBios, metalUefi), sha256 verified',
      attempt: 1,
    });
    expect(assetGets()).toBe(downloads);
    expect(curlRuns()).toBe(4);
  });

  test('a file changed on the host is fetched again, alone', async () => {
    const kernel = placements()[0]!;
    await writeFile(onPxe(kernel.placement.target), 'not a kernel\n');
    const outcome = await run();
    expect(outcome).toMatchObject({
      changed: true,
      detail: expect.stringMatching(/^downloaded rhcos-[^,]*kernel to pxe/),
    });
    expect(sha256Hex(await readFile(onPxe(kernel.placement.target)))).toBe(
      sha256Hex(standInContent(kernel.asset.file)),
    );
    expect(curlRuns()).toBe(5);
  });

  test('a corrupted download fails the step naming the URL and both sums, and leaves no file at the target', async () => {
    const { asset, placement } = placements()[3]!;
    await rm(onPxe(placement.target));
    t.sim.mirror.corrupt(asset.file);
    try {
      const served = Buffer.from(await (await fetch(`${t.sim.mirror.url}${asset.file}`)).arrayBuffer());
      const expected = sha256Hex(standInContent(asset.file));
      const failure = await failureOf();
      expect(failure.type).toBe('BootAssetChecksumMismatch');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.message).toContain(
        `${t.sim.mirror.url}${asset.file} downloaded on pxe has sha256 ${sha256Hex(served)}`,
      );
      expect(failure.message).toContain(`expected ${expected} (from ${t.sim.mirror.url}sha256sum.txt)`);
      expect(existsSync(onPxe(placement.target))).toBe(false);
      expect(await strays()).toEqual([]);
    } finally {
      t.sim.mirror.repair();
    }
    // Once the mirror serves the right file again, a retry puts it in place.
    await expect(run()).resolves.toMatchObject({ changed: true });
    expect(existsSync(onPxe(placement.target))).toBe(true);
  });

  test('a rehearsal mirror off loopback is refused before any connection, and not retried', async () => {
    const endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as { rhcosMirror: { url: string } };
    endpoints.rhcosMirror.url = 'http://10.42.253.9/pub/rhcos/4.2/4.2.0/';
    const file = path.join(path.dirname(t.sim.endpointsPath), 'endpoints-off-loopback.json');
    await writeFile(file, JSON.stringify(endpoints));
    const logged = t.logs.length;
    const requests = t.sim.mirror.requests.length;
    const failure = await failureOf(contextFor(file));
    expect(failure.type).toBe('RehearsalTargetError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/rehearsal refuses to connect to 10\.42\.253\.9 \(RHCOS mirror\)/);
    // Nothing ran on the host and nothing was asked of any mirror.
    expect(t.logs.slice(logged)).toEqual([]);
    expect(t.sim.mirror.requests.length).toBe(requests);
  });

  test('an endpoints file without a mirror says to restart the simulated lab', async () => {
    const endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as Record<string, unknown>;
    delete endpoints.rhcosMirror;
    const file = path.join(path.dirname(t.sim.endpointsPath), 'endpoints-no-mirror.json');
    await writeFile(file, JSON.stringify(endpoints));
    const failure = await failureOf(contextFor(file));
    expect(failure).toMatchObject({ type: 'RehearsalEndpointsMissing', nonRetryable: true });
    expect(failure.message).toContain('publishes no RHCOS mirror (rhcosMirror.url): restart the simulated lab');
  });

  test('a host without a pxe block is refused, naming the PXE hosts', async () => {
    const failure = await failureOf({ ...contextFor(), item: 'haproxy1' });
    expect(failure).toMatchObject({ type: 'NotAPxeHost', nonRetryable: true });
    expect(failure.message).toContain('for each host with a pxe block (pxe)');
  });
});

test('a 4.6 lab gets the live kernel, initramfs and rootfs from its simulated mirror', async () => {
  const lab = structuredClone(await loadLab(SDN_EXAMPLE_LAB));
  Object.assign(lab.cluster, { version: '4.6.1', rhcosVersion: '4.6.1' });
  const stateDir = await mkdtemp(path.join(tmpdir(), 'sim-boot-assets-46-'));
  const sim = await startSimulatedLab({ lab, stateDir, from: 'bare', timeScale: 0, log: { info() {}, warn() {} } });
  try {
    const context: StepContext = {
      runbook: 'install',
      stepId: 'pxe.hosts[pxe].boot-assets',
      lab,
      item: 'pxe',
      rehearsal: { endpointsFile: sim.endpointsPath, kubeconfig: sim.kubeconfigPath },
    };
    const outcome = (await new MockActivityEnvironment().run(activities.installBootAssets, context)) as StepResult;
    expect(outcome).toMatchObject({ changed: true });
    const root = sim.endpoints.hosts.find((host) => host.name === 'pxe')!.root;
    const placed = bootAssetsFor(lab).assets.map((asset) => [asset.kind, asset.placements[0]!.target, asset.file]);
    expect(placed.map(([kind, target]) => [kind, target])).toEqual([
      ['kernel', '/srv/tftpboot/installers/ocp4-rhcos-4.6.1/x86_64/linux'],
      ['initramfs', '/srv/tftpboot/installers/ocp4-rhcos-4.6.1/x86_64/initrd-raw'],
      ['rootfs', '/var/www/html/ocp4/rhcos-4.6.1-x86_64-live-rootfs.x86_64.img'],
    ]);
    for (const [, target, file] of placed) {
      expect((await readFile(path.join(root, target!))).equals(sim.mirror.files.get(file!)!)).toBe(true);
    }
  } finally {
    await sim.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
});
