/**
 * `virsh` on a simulated hypervisor host, for the libvirt domains that lab nodes map to it:
 * start, destroy, reboot, domstate and list, with the output and exit codes of virsh itself; and each
 * domain's disks (`domblklist`), whose boot volume `vol-wipe` blanks (the node installs again).
 */
import type { PowerBoard } from './power-board.js';
import type { CommandResult } from './services.js';

export interface VirshContext {
  /** libvirt URI of this hypervisor (lab `hypervisor.uri`). */
  uri: string;
  /** Domain name → lab node name, for the domains defined on this hypervisor. */
  domains: ReadonlyMap<string, string>;
  /** Domain name → target device of its boot disk (`vda`); its volume is IMAGES/<domain>.qcow2. */
  bootDisks?: ReadonlyMap<string, string>;
  power: PowerBoard;
  ids: DomainIds;
}

const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '' });

/** Where the simulated hypervisors keep their domains' volumes (libvirt's default pool). */
export const IMAGES = '/var/lib/libvirt/images';

function volumeOf(domain: string): string {
  return `${IMAGES}/${domain}.qcow2`;
}
const fail = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr });

/** Running domains get an id, as libvirt numbers them; stopped ones show `-`. */
export class DomainIds {
  private next = 1;
  private readonly ids = new Map<string, number>();

  constructor(power: PowerBoard) {
    for (const [node, state] of Object.entries(power.list())) if (state === 'on') this.ids.set(node, this.next++);
    power.on('power', (node, state) => {
      if (state === 'on') this.ids.set(node, this.next++);
      else this.ids.delete(node);
    });
  }

  of(node: string): string {
    return String(this.ids.get(node) ?? '-');
  }
}

/** Runs a virsh command line; undefined when it is not one of the accepted forms. */
export function runVirsh(argv: readonly string[], ctx: VirshContext): CommandResult | undefined {
  const args = argv.slice(1);
  let uri: string | undefined;
  if (args[0] === '-c' || args[0] === '--connect') {
    uri = args[1];
    args.splice(0, 2);
  } else if (args[0]?.startsWith('--connect=')) {
    uri = args.shift()!.slice('--connect='.length);
  }
  const [command, ...given] = args;
  const details = command === 'domblklist' && given.includes('--details');
  const rest = command === 'domblklist' ? given.filter((arg) => arg !== '--details') : given;
  if (command === 'vol-wipe' && rest[0] === '--vol') rest.shift();
  const form =
    command === 'list'
      ? rest.length === 0 || (rest.length === 1 && rest[0] === '--all')
      : ['start', 'destroy', 'domstate', 'reboot', 'domblklist', 'vol-wipe'].includes(command ?? '') &&
        rest.length === 1;
  if (!form || uri === '') return undefined;
  if (uri !== undefined && uri !== ctx.uri) {
    return fail(`error: failed to connect to the hypervisor\nerror: no connection driver available for ${uri}\n`);
  }
  if (command === 'list') return ok(list(ctx, rest[0] === '--all'));
  if (command === 'vol-wipe') return volWipe(ctx, rest[0]!);

  const domain = rest[0]!;
  const node = ctx.domains.get(domain);
  if (!node) return fail(`error: failed to get domain '${domain}'\n`);
  const running = ctx.power.state(node) === 'on';
  switch (command) {
    case 'domblklist':
      return ok(blockList(domain, ctx.bootDisks?.get(domain) ?? 'vda', details));
    case 'domstate':
      return ok(`${running ? 'running' : 'shut off'}\n\n`);
    case 'start':
      if (running)
        return fail(
          `error: Failed to start domain '${domain}'\nerror: Requested operation is not valid: domain is already running\n`,
        );
      ctx.power.set(node, 'on');
      return ok(`Domain '${domain}' started\n\n`);
    case 'destroy':
      if (!running)
        return fail(
          `error: Failed to destroy domain '${domain}'\nerror: Requested operation is not valid: domain is not running\n`,
        );
      ctx.power.set(node, 'off');
      return ok(`Domain '${domain}' destroyed\n\n`);
    default:
      if (!running)
        return fail(
          `error: Failed to reboot domain '${domain}'\nerror: Requested operation is not valid: domain is not running\n`,
        );
      ctx.power.cycle(node, 0);
      return ok(`Domain '${domain}' is being rebooted\n\n`);
  }
}

/** `virsh domblklist`: the boot disk, and the empty CD-ROM drive libvirt domains usually have. */
function blockList(domain: string, target: string, details: boolean): string {
  const rows = details
    ? [
        [' Type', 'Device', 'Target', 'Source'],
        [' file', 'disk', target, volumeOf(domain)],
        [' file', 'cdrom', 'sda', '-'],
      ]
    : [
        [' Target', 'Source'],
        [` ${target}`, volumeOf(domain)],
        [' sda', '-'],
      ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('   ')
      .trimEnd();
  return [line(rows[0]!), '-'.repeat(60), ...rows.slice(1).map(line), '', ''].join('\n');
}

/** `virsh vol-wipe <path>`: a domain's volume is blanked (writing zeros over it, as libvirt's default). */
function volWipe(ctx: VirshContext, volume: string): CommandResult {
  const domain = [...ctx.domains.keys()].find((name) => volumeOf(name) === volume);
  if (domain === undefined) {
    return fail(
      `error: failed to get vol '${volume}'\nerror: Storage volume not found: no storage vol with matching path '${volume}'\n`,
    );
  }
  ctx.power.wipe(ctx.domains.get(domain)!);
  return ok(`Vol ${volume} wiped\n\n`);
}

function list(ctx: VirshContext, all: boolean): string {
  const rows = [...ctx.domains]
    .map(([domain, node]) => ({
      id: ctx.ids.of(node),
      domain,
      state: ctx.power.state(node) === 'on' ? 'running' : 'shut off',
    }))
    .filter((row) => all || row.state === 'running')
    .sort(
      (a, b) =>
        (a.id === '-' ? 1 : 0) - (b.id === '-' ? 1 : 0) ||
        Number(a.id) - Number(b.id) ||
        a.domain.localeCompare(b.domain),
    );
  const width = Math.max(4, ...rows.map((row) => row.domain.length));
  const line = (id: string, name: string, state: string) =>
    ` ${id.padEnd(4)} ${name.padEnd(width)}   ${state}`.trimEnd();
  return [
    line('Id', 'Name', 'State'),
    '-'.repeat(width + 18),
    ...rows.map((row) => line(row.id, row.domain, row.state)),
    '',
    '',
  ].join('\n');
}
