/**
 * `named-checkconf`, `dhcpd -t` and `haproxy -c` on a simulated host: the real Debian binaries check
 * the host's own files, and their output and exit status come back unchanged. The host's paths are
 * mapped into its root folder: named-checkconf chroots there itself (`-t`, as a chrooted named would
 * read its files), dhcpd and haproxy get the mapped paths of their file arguments, and the root
 * folder's prefix is taken out of what they print, so messages name the host's paths.
 */
import { posix } from 'node:path';
import { findTool, missingProgram, privileged, runProgram, type DebianProgram } from './debian-programs.js';
import type { RootFs } from './root-fs.js';
import type { CommandResult } from './services.js';

/** The options of dhcpd and haproxy whose value is a path on the host. */
const PATH_OPTIONS: Record<string, readonly string[]> = {
  dhcpd: ['-cf', '-lf', '-pf', '-tf'],
  haproxy: ['-f', '-L'],
};

/** The host path `remote` as a path on this machine, inside the host's root folder. */
function inRoot(fs: RootFs, remote: string): string {
  return fs.local(posix.isAbsolute(remote) ? remote : posix.join('/', remote));
}

function withoutRoot(fs: RootFs, result: CommandResult): CommandResult {
  const strip = (text: string) => text.split(`${fs.root}/`).join('/').split(fs.root).join('/');
  return { code: result.code, stdout: strip(result.stdout), stderr: strip(result.stderr) };
}

async function run(program: DebianProgram, args: string[], fs: RootFs, chroot = false): Promise<CommandResult> {
  const tool = findTool(program);
  if (!tool) return missingProgram(program);
  const argv = chroot ? privileged([tool, ...args]) : [tool, ...args];
  return withoutRoot(fs, await runProgram(argv));
}

/** Runs a checker command line on the host `fs`; undefined when `argv` is not a checker form. */
export function runRealChecker(argv: readonly string[], fs: RootFs): Promise<CommandResult> | undefined {
  const [program, ...args] = argv;
  if (program === 'named-checkconf') {
    const at = args.indexOf('-t');
    const mapped = at >= 0 ? args.map((arg, i) => (i === at + 1 ? inRoot(fs, arg) : arg)) : ['-t', fs.root, ...args];
    return run('named-checkconf', mapped, fs, true);
  }
  if (program === 'dhcpd' && (args.includes('-t') || args.includes('-T'))) {
    const mapped = mapPaths(fs, args, PATH_OPTIONS.dhcpd!);
    if (!args.includes('-cf')) mapped.push('-cf', inRoot(fs, '/etc/dhcp/dhcpd.conf'));
    return run('dhcpd', mapped, fs);
  }
  if (program === 'haproxy' && args.includes('-c'))
    return run('haproxy', mapPaths(fs, args, PATH_OPTIONS.haproxy!), fs);
  return undefined;
}

function mapPaths(fs: RootFs, args: readonly string[], options: readonly string[]): string[] {
  return args.map((arg, i) => (i > 0 && options.includes(args[i - 1]!) ? inRoot(fs, arg) : arg));
}
