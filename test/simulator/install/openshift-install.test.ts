/**
 * The simulated openshift-install, run as a program with argument arrays exactly as the real one:
 * `version`, `create manifests` (install-config checked and consumed, secrets never printed),
 * `create ignition-configs` (Ignition of the real shape for both generations, metadata.json,
 * auth/kubeconfig that kubectl uses against the simulated lab, auth/kubeadmin-password).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AnyJson } from '../../support/json.js';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { resolveSecret } from '../../../lab/secrets.js';
import { patchSchedulerManifest, renderArtifact, schedulerManifestPath } from '../../../render/index.js';
import { writeRendered } from '../../../render/write.js';
import type { EndpointsFile } from '../../../simulator/lab-sim.js';
import { decodeDataUrl, specProblem } from '../../../simulator/openshift-install/ignition.js';
import { createInstallFolder, openshiftInstall } from '../../support/sim-walkthrough.js';
import { SDN_EXAMPLE_LAB, startTestLab, type TestLab } from './support.js';
import { regexp } from '../../support/regexp.js';

let t: TestLab;
let work: string;
let secrets: string[];
/** Everything the installer printed, checked at the end for secrets. */
const printed: string[] = [];

beforeAll(async () => {
  t = await startTestLab('installed', { labFile: SDN_EXAMPLE_LAB });
  work = await mkdtemp(path.join(tmpdir(), 'openshift-install-'));
  const pullSecret = (await resolveSecret(t.lab.secrets.pullSecret)).trim();
  const auths = Object.values((JSON.parse(pullSecret) as { auths: Record<string, { auth: string }> }).auths);
  // The pull secret, each registry credential in it, and the SSH key (last).
  secrets = [pullSecret, ...auths.map((entry) => entry.auth), (await resolveSecret(t.lab.secrets.sshPublicKey)).trim()];
});
afterAll(async () => {
  await t?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function run(args: string[], endpoints = t.sim.endpointsPath) {
  const result = await openshiftInstall(endpoints, args);
  printed.push(String(result.stdout), String(result.stderr));
  return result;
}

/** A folder holding the lab's install-config.yaml (secrets filled), edited by `edit`. */
async function folderWithConfig(name: string, edit: (config: AnyJson) => void = () => {}): Promise<string> {
  const dir = path.join(work, name);
  const [file] = renderArtifact(t.lab, 'install.install-config');
  await writeRendered([{ ...file!, path: 'install-config.yaml' }], dir);
  const config = parse(await readFile(path.join(dir, 'install-config.yaml'), 'utf8'));
  edit(config);
  await writeFile(path.join(dir, 'install-config.yaml'), JSON.stringify(config));
  return dir;
}

/** endpoints.json of the running lab, with another release pinned. */
async function endpointsFor(release: string): Promise<string> {
  const endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as EndpointsFile;
  const file = path.join(work, `endpoints-${release}.json`);
  await writeFile(file, JSON.stringify({ ...endpoints, release: { ...endpoints.release, version: release } }));
  return file;
}

const readJson = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('the simulated openshift-install', () => {
  it("prints the release the lab pins, in the real binary's three lines", async () => {
    const result = await run(['version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      regexp(
        /^\S*openshift-install v4\.2\.0\n/,
        /built from commit [0-9a-f]{40}\n/,
        /release image quay\.io\/openshift-release-dev\/ocp-release@sha256:[0-9a-f]{64}$/,
      ),
    );
    expect((await run(['version'], await endpointsFor('4.7.0'))).stdout).toMatch(/ v4\.7\.0\n/);
  });

  it("is published as the lab's tools.openshiftInstall: an executable already aimed at the lab", async () => {
    const endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as EndpointsFile;
    expect(endpoints.tools.openshiftInstall).toBe(
      path.join(path.dirname(t.sim.endpointsPath), 'bin', 'openshift-install'),
    );
    const result = await execa(endpoints.tools.openshiftInstall, ['version'], { env: { RUNBOOK_SIM_ENDPOINTS: '' } });
    printed.push(result.stdout, result.stderr);
    expect(result.stdout).toMatch(/openshift-install v4\.2\.0\n/);
  });

  it('runs on the Node that runs the lab, whatever `node` comes first on PATH (a machine’s older one)', async () => {
    const endpoints = JSON.parse(await readFile(t.sim.endpointsPath, 'utf8')) as EndpointsFile;
    const shadow = path.join(work, 'old-node');
    await mkdir(shadow, { recursive: true });
    await writeFile(path.join(shadow, 'node'), '#!/bin/sh\necho "the machine\'s old node" >&2\nexit 9\n', {
      mode: 0o755,
    });
    const result = await execa(endpoints.tools.openshiftInstall, ['version'], {
      reject: false,
      env: { PATH: `${shadow}:${process.env.PATH ?? ''}` },
    });
    expect({ code: result.exitCode, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/openshift-install v4\.2\.0\n/);
  });

  it('refuses to run without a simulated lab to point at, saying how to give it one', async () => {
    const result = await execa(path.resolve('simulator/bin/openshift-install'), ['version'], {
      reject: false,
      env: { RUNBOOK_SIM_ENDPOINTS: '' },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'level=fatal msg="this openshift-install is the simulated one for rehearsals: set RUNBOOK_SIM_ENDPOINTS',
    );
  });

  it.each([
    [
      'apiVersion',
      (config: AnyJson) => (config.apiVersion = 'v2'),
      'apiVersion: Invalid value: \\"v2\\": install-config version must be \\"v1\\"',
    ],
    [
      'metadata.name',
      (config: AnyJson) => delete config.metadata,
      'metadata.name: Required value: cluster name required',
    ],
    ['baseDomain', (config: AnyJson) => delete config.baseDomain, 'baseDomain: Required value'],
    [
      'controlPlane',
      (config: AnyJson) => (config.controlPlane.replicas = 0),
      'controlPlane.replicas: Invalid value: 0',
    ],
    [
      'networking',
      (config: AnyJson) => (config.networking.serviceNetwork = []),
      'networking.serviceNetwork: Required value',
    ],
    [
      'platform',
      (config: AnyJson) => (config.platform = { aws: { region: 'us-east-1' } }),
      'platform: Invalid value: \\"aws\\"',
    ],
    [
      'pullSecret',
      (config: AnyJson) => (config.pullSecret = `${config.pullSecret}}`),
      'pullSecret: Invalid value: (not shown)',
    ],
    [
      'sshKey',
      (config: AnyJson) => (config.sshKey = `not-a-key ${config.sshKey}`),
      'sshKey: Invalid value: (not shown)',
    ],
  ])('rejects an install-config with a bad %s, naming the field, and writes nothing', async (name, edit, message) => {
    const dir = await folderWithConfig(`bad-${name}`, edit);
    const result = await run(['create', 'manifests', '--dir', dir]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(
      'level=fatal msg="failed to fetch Manifests: failed to load asset \\"Install Config\\": invalid \\"install-config.yaml\\" file: ',
    );
    expect(result.stderr).toContain(message);
    expect((await readdir(dir)).sort()).toEqual(['.openshift_install.log', 'install-config.yaml']);
  });

  it('consumes install-config.yaml into manifests/ and openshift/, masters schedulable without workers', async () => {
    const dir = await folderWithConfig('manifests');
    const result = await run(['create', 'manifests', '--dir', dir]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split('\n')).toEqual([
      'level=info msg="Consuming Install Config from target directory"',
      'level=warning msg="Making control-plane schedulable by setting MastersSchedulable to true for Scheduler cluster settings"',
      `level=info msg="Manifests created in: ${dir}/manifests and ${dir}/openshift"`,
    ]);
    expect(existsSync(path.join(dir, 'install-config.yaml'))).toBe(false);
    const scheduler = parse(await readFile(path.join(dir, 'manifests/cluster-scheduler-02-config.yml'), 'utf8'));
    expect(scheduler).toEqual({
      apiVersion: 'config.openshift.io/v1',
      kind: 'Scheduler',
      metadata: { creationTimestamp: null, name: 'cluster' },
      spec: { mastersSchedulable: true, policy: { name: '' } },
      status: {},
    });
    expect(await readdir(path.join(dir, 'openshift'))).toContain('99_openshift-machineconfig_99-worker-ssh.yaml');
  });

  it(
    'writes 4.2 ignition configs: spec 2.2.0 pointers (append) to api-int:22623 trusting the root CA, a ' +
      'full bootstrap config',
    async () => {
      const dir = path.join(work, 'install-4.2');
      await createInstallFolder(t.lab, t.sim.endpointsPath, dir);
      expect((await readdir(dir)).sort()).toEqual([
        '.openshift_install.log',
        '.openshift_install_state.json',
        'auth',
        'bootstrap.ign',
        'master.ign',
        'metadata.json',
        'worker.ign',
      ]);
      const master = await readJson(path.join(dir, 'master.ign'));
      const worker = await readJson(path.join(dir, 'worker.ign'));
      expect(master.ignition.version).toBe('2.2.0');
      expect(master.ignition.config).toEqual({
        append: [{ source: 'https://api-int.intra.example.com:22623/config/master', verification: {} }],
      });
      expect(worker.ignition.config.append[0].source).toBe('https://api-int.intra.example.com:22623/config/worker');
      const ca = decodeDataUrl(master.ignition.security.tls.certificateAuthorities[0].source)!;
      expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
      expect(decodeDataUrl(worker.ignition.security.tls.certificateAuthorities[0].source)).toBe(ca);

      const bootstrap = await readJson(path.join(dir, 'bootstrap.ign'));
      expect(bootstrap.ignition.version).toBe('2.2.0');
      expect(bootstrap.ignition.config).toEqual({});
      const files = new Map<string, string>(
        bootstrap.storage.files.map((file: AnyJson) => [file.path, decodeDataUrl(file.contents.source)!]),
      );
      expect(bootstrap.storage.files.every((file: AnyJson) => file.filesystem === 'root')).toBe(true);
      expect(files.get('/opt/openshift/tls/root-ca.crt')).toBe(ca);
      expect(parse(files.get('/etc/kubernetes/kubeconfig')!).clusters[0].cluster.server).toBe(
        'https://api-int.intra.example.com:6443',
      );
      // The edited scheduler manifest is what the bootstrap node applies.
      expect(
        parse(files.get('/opt/openshift/manifests/cluster-scheduler-02-config.yml')!).spec.mastersSchedulable,
      ).toBe(false);
      expect(bootstrap.passwd.users[0].sshAuthorizedKeys).toEqual([secrets[secrets.length - 1]]);
      expect(bootstrap.systemd.units.map((unit: AnyJson) => unit.name)).toContain('bootkube.service');

      const metadata = await readJson(path.join(dir, 'metadata.json'));
      expect(metadata).toEqual({
        clusterName: 'intra',
        clusterID: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        infraID: expect.stringMatching(/^intra-[a-z0-9]{5}$/),
      });
      const infrastructure = parse(files.get('/opt/openshift/manifests/cluster-infrastructure-02-config.yml')!);
      expect(infrastructure.status.infrastructureName).toBe(metadata.infraID);
      expect(await readFile(path.join(dir, 'auth/kubeadmin-password'), 'utf8')).toMatch(
        /^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/,
      );
    },
  );

  it("writes an auth/kubeconfig that kubectl uses against the simulated lab's API server", async () => {
    if (!existsSync('/usr/bin/kubectl')) {
      console.warn('kubectl is not installed at /usr/bin/kubectl: skipping the kubectl check');
      return;
    }
    const kubeconfig = path.join(work, 'install-4.2', 'auth', 'kubeconfig');
    expect(parse(await readFile(kubeconfig, 'utf8')).clusters[0].cluster.server).toBe(t.sim.apiUrl);
    const { stdout } = await execa('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name']);
    expect(stdout.split('\n')).toContain('node/master1.nodes.example.com');
  });

  it.each([
    ['4.6.0', '3.1.0'],
    ['4.7.0', '3.2.0'],
  ])(
    'writes %s ignition configs of spec %s: pointers merge the machine config server config',
    async (release, spec) => {
      const endpoints = await endpointsFor(release);
      const dir = await folderWithConfig(`install-${release}`);
      const result = await run(['create', 'ignition-configs', '--dir', dir], endpoints);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain(`level=info msg="Ignition-Configs created in: ${dir} and ${dir}/auth"`);
      const master = await readJson(path.join(dir, 'master.ign'));
      expect(master).toEqual({
        ignition: {
          config: { merge: [{ source: 'https://api-int.intra.example.com:22623/config/master' }] },
          security: {
            tls: {
              certificateAuthorities: [{ source: expect.stringMatching(/^data:text\/plain;charset=utf-8;base64,/) }],
            },
          },
          version: spec,
        },
      });
      const bootstrap = await readJson(path.join(dir, 'bootstrap.ign'));
      expect(bootstrap.ignition).toEqual({ version: spec });
      expect(bootstrap.storage.files.every((file: AnyJson) => file.overwrite === true && !('filesystem' in file))).toBe(
        true,
      );
    },
  );

  it('keeps the install on a re-run: the edited scheduler manifest, the root CA, the cluster ID', async () => {
    const dir = await folderWithConfig('rerun');
    expect((await run(['create', 'manifests', '--dir', dir])).exitCode).toBe(0);
    const scheduler = path.join(dir, schedulerManifestPath);
    await writeFile(scheduler, patchSchedulerManifest(await readFile(scheduler, 'utf8'), false));
    const again = await run(['create', 'manifests', '--dir', dir]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('Consuming Common Manifests from target directory');
    expect(parse(await readFile(scheduler, 'utf8')).spec.mastersSchedulable).toBe(false);

    const bootstrapScheduler = async () => {
      const bootstrap = await readJson(path.join(dir, 'bootstrap.ign'));
      const file = bootstrap.storage.files.find((entry: AnyJson) => entry.path.endsWith(schedulerManifestPath));
      return parse(decodeDataUrl(file.contents.source)!).spec.mastersSchedulable;
    };
    const identity = async () => ({
      ca: (await readJson(path.join(dir, 'master.ign'))).ignition.security.tls.certificateAuthorities,
      metadata: await readJson(path.join(dir, 'metadata.json')),
    });
    expect((await run(['create', 'ignition-configs', '--dir', dir])).exitCode).toBe(0);
    expect(await bootstrapScheduler()).toBe(false);
    const first = await identity();
    expect((await run(['create', 'ignition-configs', '--dir', dir])).exitCode).toBe(0);
    expect(await bootstrapScheduler()).toBe(false);
    expect(await identity()).toEqual(first);
  });

  it('names what RHCOS cannot read: spec 3 on 4.2-4.5, spec 2 on 4.6 and later', () => {
    expect(specProblem('3.2.0', '4.2.0')).toContain('RHCOS 4.2.0 reads only spec 2.x (up to 2.2.0)');
    expect(specProblem('2.2.0', '4.6.0')).toContain('RHCOS 4.6.0 reads only spec 3.x (up to 3.1.0)');
    expect(specProblem('3.2.0', '4.6.0')).toContain('newer than RHCOS 4.6.0 reads');
    expect(specProblem('2.2.0', '4.5.0')).toBeUndefined();
    expect(specProblem('3.2.0', '4.8.0')).toBeUndefined();
  });

  it('is not a stand-in for the commands it does not simulate', async () => {
    await mkdir(path.join(work, 'wait'), { recursive: true });
    const result = await run(['wait-for', 'bootstrap-complete', '--dir', path.join(work, 'wait')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('\\"wait-for bootstrap-complete\\" is not simulated');
  });

  it('gathers no bootstrap bundle from a bootstrap node that does not run, nor without its address', async () => {
    const folder = path.join(work, 'gather');
    await mkdir(folder, { recursive: true });
    const bootstrap = t.lab.nodes.find((node) => node.role === 'bootstrap')!;
    // An installed lab: the bootstrap node was switched off after bootstrap-complete.
    const off = await run(['gather', 'bootstrap', '--dir', folder, '--bootstrap', bootstrap.ip]);
    expect(off.exitCode).toBe(1);
    expect(off.stderr).toContain(
      `failed to gather bootstrap logs: failed to create SSH client: dial tcp ${bootstrap.ip}:22: connect: connection refused`,
    );
    const unnamed = await run(['gather', 'bootstrap', '--dir', folder]);
    expect(unnamed.exitCode).toBe(1);
    expect(unnamed.stderr).toContain('must provide a bootstrap host address (--bootstrap)');
    expect(await readdir(folder)).not.toContainEqual(expect.stringMatching(/^log-bundle-/));
  });

  it('never prints the pull secret or the SSH key', () => {
    const output = printed.join('\n');
    expect(output.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
