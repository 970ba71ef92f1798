/**
 * Shared by the render tests: the example lab, and rendered files put through the real checkers in
 * a temp folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from '@jest/globals';
import type { Lab } from '../../lab/schema.js';
import { renderDns } from '../../render/dns.js';
import type { RenderedFile } from '../../render/types.js';
import { runChecker, type CheckResult } from '../support/checkers.js';

export { exampleLabPath, loadExampleLab, loadSdnExampleLab, repoRoot, sdnExampleLabPath } from './example.js';

export async function writeFileAt(path: string, content: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

/** Asserts a checker passed, showing its output when it did not. */
export function expectPassed(result: CheckResult, what: string): void {
  expect({ what, exitCode: result.exitCode, output: result.exitCode === 0 ? '' : result.output }).toEqual({
    what,
    exitCode: 0,
    output: '',
  });
}

/** `named-checkzone` on one zone file; `-i local` keeps the integrity checks off the network. */
export async function checkZone(tool: string, dir: string, file: RenderedFile, zone: string): Promise<CheckResult> {
  const path = await writeFileAt(join(dir, file.path), file.content);
  return runChecker(tool, ['-i', 'local', zone, path]);
}

/**
 * `named-checkconf -z` on a named.conf that includes the rendered zone statements: the lab's DNS
 * paths are moved into `dir` (the lab is the input, so the rendered files stay as the product makes
 * them), then every zone is loaded as named would load it.
 */
export async function checkNamedConf(tool: string, dir: string, lab: Lab): Promise<CheckResult> {
  const local: Lab = {
    ...lab,
    hosts: lab.hosts.map((host) =>
      host.dns === undefined
        ? host
        : {
            ...host,
            dns: {
              ...host.dns,
              zoneDir: join(dir, host.name, 'zones'),
              zonesConf: join(dir, host.name, 'named.conf.openshift'),
            },
          },
    ),
  };
  const files = renderDns(local);
  await Promise.all(files.map((file) => writeFileAt(file.target ?? '', file.content)));
  const first = files.find((file) => file.artifact === 'dns.zones-conf');
  const namedConf = await writeFileAt(
    join(dir, 'named.conf'),
    `options { directory "${dir}"; };\ninclude "${first?.target ?? ''}";\n`,
  );
  return runChecker(tool, ['-z', namedConf]);
}

/** `dhcpd -t` with its lease and pid files in `dir`, so it needs no system paths. */
export async function checkDhcpd(tool: string, dir: string, content: string): Promise<CheckResult> {
  const config = await writeFileAt(join(dir, 'dhcpd.conf'), content);
  const leases = await writeFileAt(join(dir, 'dhcpd.leases'), '');
  return runChecker(tool, ['-t', '-cf', config, '-lf', leases, '-pf', join(dir, 'dhcpd.pid')]);
}

/**
 * `haproxy -c` on the file as rendered (its chroot, user and stats socket are not touched in check
 * mode). Warnings count as failures: a config that draws them is not the one we mean to ship.
 */
export async function checkHaproxy(tool: string, dir: string, name: string, content: string): Promise<CheckResult> {
  const config = await writeFileAt(join(dir, name), content);
  const result = await runChecker(tool, ['-c', '-f', config]);
  return /\[(WARNING|ALERT)\]/.test(result.output) ? { exitCode: result.exitCode || 1, output: result.output } : result;
}
