/**
 * Finding the control plane binaries and picking the version a release rehearses on. No build here:
 * the failures are those that stop before Go runs.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BIN_DIR_VARIABLE,
  buildFailure,
  CONTROL_PLANE_PROGRAMS,
  ControlPlaneError,
  controlPlaneBinDir,
  findControlPlaneBinaries,
  goBuildArguments,
} from '../../../simulator/control-plane/binaries.js';
import { controlPlaneFor } from '../../../simulator/control-plane/versions.js';
import { cliRunner } from '../../support/cli.js';

describe('finding the control plane binaries', () => {
  let scratch: string;
  const saved = { ...process.env };

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'runbook-kube-bin-'));
    // An empty user cache (env-paths reads XDG_CACHE_HOME).
    process.env.XDG_CACHE_HOME = scratch;
    delete process.env[BIN_DIR_VARIABLE];
  });
  afterEach(async () => {
    process.env = { ...saved };
    await rm(scratch, { recursive: true, force: true });
  });

  it('says what to run when the binaries were never built', async () => {
    const error = (await findControlPlaneBinaries('v1.37.2').catch((caught: unknown) => caught)) as ControlPlaneError;
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error.message).toContain(controlPlaneBinDir('v1.37.2'));
    expect(controlPlaneBinDir('v1.37.2')).toBe(path.join(scratch, 'openshift-runbooks', 'bin', 'kube-v1.37.2'));
    expect(error.details.join('\n')).toContain('runbook sim --install');
  });

  it('says to install Go when a build is asked for and there is none', async () => {
    process.env.PATH = path.join(scratch, 'no-go-here');
    const error = (await findControlPlaneBinaries('v1.37.2', { install: true }).catch(
      (caught: unknown) => caught,
    )) as ControlPlaneError;
    expect(error.message).toContain('`go` is not on PATH');
    expect(error.details.join('\n')).toContain('https://go.dev/dl/');
  });

  it(`names ${BIN_DIR_VARIABLE} when it points at a folder without the binaries`, async () => {
    process.env[BIN_DIR_VARIABLE] = scratch;
    await expect(findControlPlaneBinaries('v1.37.2')).rejects.toThrow(`${BIN_DIR_VARIABLE} is set to ${scratch}`);
  });

  it('runbook sim --install: prints the folder of binaries it finds, and says what to do without Go', async () => {
    const run = cliRunner(() => ({ ...process.env, XDG_CACHE_HOME: scratch }) as Record<string, string>);
    const bin = path.join(scratch, 'elsewhere');
    await mkdir(bin);
    for (const program of CONTROL_PLANE_PROGRAMS) {
      await writeFile(path.join(bin, program), '#!/bin/sh\n', { mode: 0o755 });
    }
    process.env[BIN_DIR_VARIABLE] = bin;
    expect(await run('sim', '--install')).toMatchObject({ code: 0, stdout: bin });
    delete process.env[BIN_DIR_VARIABLE];
    // Node only on PATH: no Go to build with.
    process.env.PATH = path.dirname(process.execPath);
    const missing = await run('sim', '--install');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('`go` is not on PATH');
    expect(missing.stderr).toContain('then run: runbook sim --install');
  });

  it('builds the four programs in one go build, stamped with the version', () => {
    const args = goBuildArguments('v1.37.2', '/out');
    expect(args.slice(-4)).toEqual([
      'go.etcd.io/etcd/server/v3',
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kube-scheduler',
    ]);
    const ldflags = args[args.indexOf('-ldflags') + 1];
    expect(ldflags).toContain('-X k8s.io/component-base/version.gitVersion=v1.37.2');
    expect(ldflags).toContain('-X k8s.io/component-base/version.gitMinor=37');
    expect(args).toContain('/out/');
  });
});

describe('a failed build', () => {
  it("says what to do, from Go's own words", () => {
    const hints = (output: string) => buildFailure('v1.37.2', 1, output).details.join('\n');
    expect(hints('go: go.mod requires go >= 1.26.0 (running go 1.25.1; GOTOOLCHAIN=local)')).toContain(
      'needs Go 1.26.0 or newer',
    );
    const refused = 'go: k8s.io/api@v0.37.2: reading https://proxy.golang.org/k8s.io/api/@v/v0.37.2.zip: 403 Forbidden';
    expect(hints(refused)).toContain('check GOPROXY');
    expect(hints('/usr/local/go/pkg/tool/linux_amd64/link: signal: killed')).toContain('about 2.5 GB free');
    expect(hints('pkg/foo.go:1:1: syntax error')).toContain('the Go output is above');
    expect(buildFailure('v1.37.2', 1, '').message).toBe(
      'building the Kubernetes v1.37.2 control plane with Go failed (exit 1)',
    );
  });
});

describe('the Kubernetes a release rehearses on', () => {
  it('says in one line that a release whose minor is not built runs on the oldest build', () => {
    expect(controlPlaneFor('4.2.0')).toEqual({
      shipped: '1.14',
      version: 'v1.37.2',
      note:
        'OpenShift 4.2.0 ships Kubernetes 1.14, which this build lacks: ' +
        "the lab's control plane is Kubernetes v1.37.2, the oldest one built",
    });
    expect(controlPlaneFor('4.16.3')).toMatchObject({ shipped: '1.29', version: 'v1.37.2' });
    expect(controlPlaneFor('4.21.0').shipped).toBe('1.34');
    expect(controlPlaneFor('4.3.0').shipped).toBe('1.16');
    expect(controlPlaneFor('4.99.0')).toMatchObject({ version: 'v1.37.2' });
    expect(controlPlaneFor('4.99.0').note).toContain('ships Kubernetes 1.112, which this build lacks');
  });
});
