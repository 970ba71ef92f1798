/**
 * The boot-asset step against a real OpenSSH sshd on loopback, with this machine's real curl and
 * sha256sum: a lab whose PXE host is that sshd, its TFTP and HTTP roots in a temp folder, and its
 * mirror (`cluster.rhcosMirror`) a loopback HTTP server. Not a rehearsal: the lab's sums count.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { planBootAssets, type BootAssetPlan } from '../../../activities/install/boot-assets.js';
import { createActivities } from '../../../activities/index.js';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { bootAssetsFor } from '../../../render/boot-assets.js';
import { sha256Hex, startRehearsalMirror, type RehearsalMirror } from '../../../simulator/mirror.js';
import type { StepContext, StepResult } from '../../../contract/step.js';
import { describeWithSshd, startSshd, type TestSshd } from '../../support/sshd.js';

const labFile = fileURLToPath(new URL('../../../runbooks/labs/example-4.2-sdn.yaml', import.meta.url));
const activities = createActivities();

describeWithSshd('boot assets on a real sshd with real curl and sha256sum', () => {
  let sshd: TestSshd;
  let base: Lab;
  let mirror: RehearsalMirror;
  let scratch: string;
  let lab: Lab;

  beforeAll(async () => {
    sshd = await startSshd();
    base = await loadLab(labFile);
    mirror = await startRehearsalMirror({ lab: base });
  });
  afterAll(async () => {
    await mirror?.stop();
    await sshd?.stop();
  });

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'runbook-boot-assets-'));
    lab = structuredClone(base);
    lab.cluster.rhcosMirror = mirror.url;
    const pxe = lab.hosts.find((host) => host.name === 'pxe')!;
    pxe.ssh = {
      ...pxe.ssh,
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      hostKey: sshd.hostKey,
      identity: `file:${sshd.clientKeyPath}`,
    };
    pxe.pxe = { ...pxe.pxe!, tftpRoot: path.join(scratch, 'tftpboot'), httpRoot: path.join(scratch, 'www/ocp4') };
    mirror.requests.length = 0;
  });
  afterEach(async () => {
    mirror.repair();
    await rm(scratch, { recursive: true, force: true });
  });

  const contextFor = (): StepContext => ({
    runbook: 'install',
    stepId: 'pxe.hosts[pxe].boot-assets',
    lab,
    item: 'pxe',
  });
  const run = async (): Promise<StepResult> =>
    (await new MockActivityEnvironment().run(activities.installBootAssets, contextFor())) as StepResult;
  const plan = async (): Promise<BootAssetPlan> =>
    (await new MockActivityEnvironment().run(planBootAssets, contextFor())) as BootAssetPlan;
  const targets = () =>
    bootAssetsFor(lab).assets.map((asset) => ({
      asset,
      target: asset.placements.find((p) => p.host === 'pxe')!.target,
    }));
  const parts = async () => {
    const folders = new Set(targets().map(({ target }) => path.dirname(target)));
    const found: string[] = [];
    for (const folder of folders) {
      if (existsSync(folder)) found.push(...(await readdir(folder)).filter((name) => name.endsWith('.part')));
    }
    return found;
  };
  const mtimes = () => Promise.all(targets().map(async ({ target }) => (await stat(target)).mtimeMs));
  const assetGets = () => mirror.requests.filter((request) => !request.endsWith('/sha256sum.txt'));

  test('downloads every file with the sums of the mirror, then a second run downloads and writes nothing', async () => {
    const before = await plan();
    expect(before.fetch.map((file) => [file.kind, file.found])).toEqual(
      ['kernel', 'initramfs', 'metalBios', 'metalUefi'].map((kind) => [
        kind,
        { missing: true, reason: 'No such file or directory' },
      ]),
    );

    await expect(run()).resolves.toMatchObject({ changed: true });
    for (const { asset, target } of targets()) {
      expect(sha256Hex(await readFile(target))).toBe(sha256Hex(mirror.files.get(asset.file)!));
    }
    expect(assetGets()).toHaveLength(4);
    expect(await parts()).toEqual([]);

    const written = await mtimes();
    await expect(run()).resolves.toMatchObject({ changed: false, detail: expect.stringContaining('sha256 verified') });
    expect(assetGets()).toHaveLength(4);
    expect((await plan()).fetch).toEqual([]);
    expect(await mtimes()).toEqual(written);
  });

  test("with every sum in the lab, the mirror's list is not fetched", async () => {
    const sums = Object.fromEntries(
      bootAssetsFor(lab).assets.map((asset) => [asset.kind, sha256Hex(mirror.files.get(asset.file)!)]),
    );
    lab.cluster.rhcosSha256 = sums;
    await expect(run()).resolves.toMatchObject({ changed: true });
    expect(mirror.requests.filter((request) => request.endsWith('/sha256sum.txt'))).toEqual([]);
  });

  test("a download that differs from the lab's sum is deleted and the step fails, retryable, naming both sums", async () => {
    lab.cluster.rhcosSha256 = { kernel: '0'.repeat(64) };
    const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'BootAssetChecksumMismatch', nonRetryable: false });
    const kernel = targets()[0]!;
    const actual = sha256Hex(mirror.files.get(kernel.asset.file)!);
    expect(failure.message).toContain(
      `${mirror.url}${kernel.asset.file} downloaded on pxe has sha256 ${actual}, expected ` +
        `${'0'.repeat(64)} (from cluster.rhcosSha256.kernel)`,
    );
    expect(existsSync(kernel.target)).toBe(false);
    expect(await parts()).toEqual([]);
  });

  test('a corrupted file from the mirror never reaches its target', async () => {
    const metal = targets()[2]!;
    mirror.corrupt(metal.asset.file);
    const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'BootAssetChecksumMismatch' });
    expect(failure.message).toContain(`expected ${sha256Hex(mirror.files.get(metal.asset.file)!)}`);
    expect(existsSync(metal.target)).toBe(false);
    expect(await parts()).toEqual([]);
  });

  test('a file neither the lab nor the mirror has a sum for names the lab field, and nothing is downloaded', async () => {
    // A mirror for the same release without UEFI nodes lists no UEFI metal image.
    const biosOnly = await startRehearsalMirror({
      lab: { ...base, nodes: base.nodes.filter((node) => node.boot !== 'uefi') },
    });
    try {
      lab.cluster.rhcosMirror = biosOnly.url;
      const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
      expect(failure).toMatchObject({ type: 'BootAssetSumUnknown', nonRetryable: true });
      expect(failure.message).toContain(
        `no sha256 to verify rhcos-4.2.0-x86_64-metal-uefi.raw.gz (set ` +
          `cluster.rhcosSha256.metalUefi): ${biosOnly.url}sha256sum.txt does not list it`,
      );
      expect(biosOnly.requests).toEqual([`GET ${new URL(biosOnly.url).pathname}sha256sum.txt`]);
      expect(existsSync(path.join(scratch, 'tftpboot'))).toBe(false);
    } finally {
      await biosOnly.stop();
    }
  });

  test('a mirror without the file fails the download (curl exit 22) and leaves nothing behind', async () => {
    lab.cluster.rhcosSha256 = Object.fromEntries(
      bootAssetsFor(lab).assets.map((asset) => [asset.kind, 'f'.repeat(64)]),
    );
    lab.cluster.rhcosMirror = `${mirror.url}missing/`;
    const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'BootAssetDownloadFailed', nonRetryable: false });
    expect(failure.message).toContain(
      `pxe could not download ${mirror.url}missing/rhcos-4.2.0-x86_64-installer-kernel: curl: (22) The requested URL returned error: 404`,
    );
    expect(existsSync(targets()[0]!.target)).toBe(false);
    expect(await parts()).toEqual([]);
  });

  test('a mirror folder without sha256sum.txt pauses the run, naming cluster.rhcosMirror', async () => {
    lab.cluster.rhcosMirror = `${mirror.url}missing/`;
    const failure = (await run().catch((error: unknown) => error)) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'MirrorChecksumsMissing', nonRetryable: true });
    expect(failure.message).toContain(
      `${mirror.url}missing/sha256sum.txt does not exist (404): set cluster.rhcosMirror`,
    );
  });
});
