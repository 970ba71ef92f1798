/**
 * The real Debian programs behind the simulated helper hosts (named-checkconf, dhcpd, haproxy,
 * named, rndc, dig), found on this machine and run with an argument vector, never a shell. A missing
 * one answers as a shell would (exit 127), naming the package to install.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CommandResult } from './services.js';

/** Each program and the Debian package that provides it (scripts/install-deps.sh installs them). */
export const debianPackages = {
  'named-checkconf': 'bind9-utils',
  'named-checkzone': 'bind9-utils',
  named: 'bind9',
  rndc: 'bind9',
  dig: 'bind9-dnsutils',
  dhcpd: 'isc-dhcp-server',
  haproxy: 'haproxy',
  unshare: 'util-linux',
} as const;
export type DebianProgram = keyof typeof debianPackages;

/** Absolute path of a program on PATH or in the sbin folders (named, dhcpd and haproxy live there). */
export function findTool(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const folder of folders.filter((entry) => entry !== '')) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function missingProgram(program: DebianProgram): CommandResult {
  return {
    code: 127,
    stdout: '',
    stderr:
      `${program}: not installed on this machine, which runs it for the simulated hosts: ` +
      `install the Debian package ${debianPackages[program]} (scripts/install-deps.sh does)\n`,
  };
}

/**
 * `chroot` needs privilege: as root a program chroots itself (named-checkconf -t, named -t); any other
 * user runs it in a user namespace where it is root (`unshare --user --map-root-user`).
 */
export function privileged(argv: readonly string[]): string[] {
  if (process.getuid?.() === 0) return [...argv];
  return [findTool('unshare') ?? 'unshare', '--user', '--map-root-user', ...argv];
}

/** Runs a program to completion; a non-zero exit is a result, not a throw. */
export function runProgram(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 126) : 0;
        const why = error && typeof error.code !== 'number' ? `${argv[0]}: ${error.message}\n` : '';
        resolve({ code, stdout, stderr: stderr + why });
      },
    );
  });
}
