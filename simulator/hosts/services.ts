/**
 * The daemons of a simulated helper host, behind the lab's `check` and `reload` commands. A check runs
 * the real checker on the host's files (./real-checkers.ts). A reload does what the command does on a
 * Debian host: `rndc reload` and `systemctl reload|restart named` act on the host's real named
 * (./named-daemon.ts); `systemctl reload haproxy` runs `haproxy -c` on the pushed file and, if it
 * passes, reloads the host's real HAProxy (./haproxy-daemon.ts); `systemctl restart isc-dhcp-server`
 * runs `dhcpd -t` as its init script does, then serves the leases it loaded. The ACTIVE configuration
 * (the files as loaded) is what the daemon serves until its next reload; a restart that fails leaves
 * the daemon stopped, a reload that fails keeps the running one.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Host } from '../../lab/schema.js';
import type { HaproxyDaemon } from './haproxy-daemon.js';
import { RNDC_REFUSED, type NamedDaemon } from './named-daemon.js';
import { runRealChecker } from './real-checkers.js';
import type { RootFs } from './root-fs.js';
import { serviceFiles, serviceNames, type ServiceName } from './service-files.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ActiveConfig {
  service: ServiceName;
  /** Remote path → content, as loaded. */
  files: Record<string, string>;
  /** Digest of the loaded files, to tell configurations apart at a glance. */
  sha256: string;
}

export interface ServiceCommand {
  service: ServiceName;
  action: 'check' | 'reload';
  argv: readonly string[];
}

export interface HostDaemons {
  named?: NamedDaemon;
  haproxy?: HaproxyDaemon;
}

/** The systemd unit of each service on Debian, for systemctl's messages. */
const UNITS: Record<ServiceName, string> = {
  dns: 'named',
  dhcp: 'isc-dhcp-server',
  pxe: 'tftpd-hpa',
  haproxy: 'haproxy',
};

const OK: CommandResult = { code: 0, stdout: '', stderr: '' };

function jobFailed(unit: string, output: string): CommandResult {
  return {
    code: 1,
    stdout: '',
    stderr:
      output +
      `Job for ${unit}.service failed because the control process exited with error code.\n` +
      `See "systemctl status ${unit}.service" and "journalctl -xeu ${unit}.service" for details.\n`,
  };
}

/** `systemctl VERB UNIT` or `service UNIT VERB`: the verb and unit; undefined for another command. */
function serviceVerb(argv: readonly string[]): { verb: string; unit: string } | undefined {
  if (argv[0] === 'systemctl' && argv.length >= 3)
    return { verb: argv[1]!, unit: argv.at(-1)!.replace(/\.service$/, '') };
  if (argv[0] === 'service' && argv.length === 3) return { verb: argv[2]!, unit: argv[1]! };
  return undefined;
}

export class HostServices {
  private readonly active: Partial<Record<ServiceName, ActiveConfig>>;

  constructor(
    private readonly host: Host,
    private readonly fs: RootFs,
    /** JSON file that keeps the active configurations across restarts of the simulator. */
    private readonly stateFile: string,
    /** Called (and awaited) after the active configuration of a service changed (loaded, or stopped). */
    private readonly onChange: (service: ServiceName) => void | Promise<void> = () => {},
    private readonly daemons: HostDaemons = {},
  ) {
    this.active = readState(stateFile);
  }

  /** The service commands this host accepts, from its lab service blocks. */
  commands(): ServiceCommand[] {
    return serviceNames.flatMap((service) => {
      const block = this.host[service];
      if (!block) return [];
      const commands: ServiceCommand[] = [];
      if (block.check) commands.push({ service, action: 'check', argv: block.check });
      if (block.reload) commands.push({ service, action: 'reload', argv: block.reload });
      return commands;
    });
  }

  activeConfig(service: ServiceName): ActiveConfig | undefined {
    return this.active[service];
  }

  async run(command: ServiceCommand): Promise<CommandResult> {
    if (command.action === 'check') return this.check(command.argv);
    const unit = serviceVerb(command.argv)?.unit ?? UNITS[command.service];
    switch (command.service) {
      case 'dns':
        return this.reloadNamed(command.argv, unit);
      case 'haproxy':
        return this.reloadHaproxy(command.argv, unit);
      case 'dhcp':
        return this.restartChecked(command, unit);
      case 'pxe':
        await this.setActive('pxe', this.loaded('pxe'));
        return OK;
    }
  }

  /** The daemons a host runs from boot (named; HAProxy when its configuration is there). */
  async boot(): Promise<void> {
    if (this.daemons.named) await this.afterStart('dns', await this.daemons.named.start());
    if (this.daemons.haproxy && this.active.haproxy)
      await this.afterStart('haproxy', await this.daemons.haproxy.start());
  }

  private async check(argv: readonly string[]): Promise<CommandResult> {
    try {
      return (
        (await runRealChecker(argv, this.fs)) ?? {
          code: 127,
          stdout: '',
          stderr: `${argv[0]}: the simulated host ${this.host.name} runs the checkers named-checkconf, dhcpd -t and haproxy -c only\n`,
        }
      );
    } catch (error) {
      return { code: 1, stdout: '', stderr: `${argv[0]}: ${(error as Error).message}\n` };
    }
  }

  private async afterStart(service: ServiceName, started: CommandResult): Promise<CommandResult> {
    await this.setActive(service, started.code === 0 ? this.loaded(service) : undefined);
    return started;
  }

  private async reloadNamed(argv: readonly string[], unit: string): Promise<CommandResult> {
    const named = this.daemons.named;
    const systemctl = serviceVerb(argv);
    if (!named) return systemctl ? jobFailed(unit, '') : RNDC_REFUSED;
    if (argv[0] === 'rndc' || systemctl?.verb === 'reload') {
      if (systemctl && !named.running())
        return { code: 1, stdout: '', stderr: `${unit}.service is not active, cannot reload.\n` };
      // Debian's named.service reloads with `rndc reload` too.
      const result = await named.rndc(argv[0] === 'rndc' ? argv.slice(1) : ['reload']);
      if (result.code === 0 && (argv[0] !== 'rndc' || argv[1] === 'reload'))
        await this.setActive('dns', this.loaded('dns'));
      return systemctl && result.code !== 0 ? jobFailed(unit, result.stderr) : result;
    }
    if (systemctl?.verb === 'restart' || systemctl?.verb === 'start') {
      if (systemctl.verb === 'restart') await named.stop();
      const started = await this.afterStart('dns', await named.start());
      return started.code === 0 ? OK : jobFailed(unit, started.stderr);
    }
    return { code: 1, stdout: '', stderr: `${argv.join(' ')}: the simulated host runs rndc and systemctl for named\n` };
  }

  private async reloadHaproxy(argv: readonly string[], unit: string): Promise<CommandResult> {
    const haproxy = this.daemons.haproxy;
    if (!haproxy) return jobFailed(unit, '');
    // Debian's haproxy.service checks the file before it reloads or starts (ExecReload / ExecStartPre).
    const check = await this.check(['haproxy', '-c', '-q', '-f', this.host.haproxy!.configPath]);
    const restart = serviceVerb(argv)?.verb === 'restart';
    if (check.code !== 0) {
      if (restart) {
        await haproxy.stop();
        await this.setActive('haproxy', undefined);
      }
      return jobFailed(unit, check.stdout + check.stderr);
    }
    if (restart) await haproxy.stop();
    const result = await haproxy.reload();
    if (result.code !== 0) {
      if (!haproxy.running()) await this.setActive('haproxy', undefined);
      return jobFailed(unit, result.stderr);
    }
    await this.setActive('haproxy', this.loaded('haproxy'));
    return OK;
  }

  /** DHCP: the init script's `dhcpd -t` on the file, then the daemon serves what it loaded. */
  private async restartChecked(command: ServiceCommand, unit: string): Promise<CommandResult> {
    const check = await this.check(['dhcpd', '-t', '-cf', this.host.dhcp!.configPath]);
    const restart = !['reload', 'force-reload'].includes(serviceVerb(command.argv)?.verb ?? 'restart');
    if (check.code !== 0) {
      if (restart) await this.setActive('dhcp', undefined);
      return jobFailed(unit, check.stdout + check.stderr);
    }
    await this.setActive('dhcp', this.loaded('dhcp'));
    return OK;
  }

  private loaded(service: ServiceName): ActiveConfig {
    const files = serviceFiles(this.fs, this.host, service);
    const sha256 = createHash('sha256')
      .update(JSON.stringify(Object.entries(files).sort()))
      .digest('hex');
    return { service, files, sha256 };
  }

  private async setActive(service: ServiceName, config: ActiveConfig | undefined): Promise<void> {
    if (config) this.active[service] = config;
    else delete this.active[service];
    writeFileSync(this.stateFile, `${JSON.stringify(this.active, null, 2)}\n`);
    await this.onChange(service);
  }
}

function readState(file: string): Partial<Record<ServiceName, ActiveConfig>> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<ServiceName, ActiveConfig>>;
  } catch {
    return {};
  }
}
