/**
 * The daemons of a simulated helper host. `check` validates the files as they are now; `reload`
 * makes them the ACTIVE configuration, the one the daemon serves until its next reload, like the
 * real ones (a DHCP server hands out only the leases it loaded). A reload with a broken file keeps
 * the previous configuration, except a `restart`, which leaves the daemon stopped.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Host } from '../../lab/schema.js';
import { checkService, serviceNames, type ServiceName } from './config-checks.js';
import type { RootFs } from './root-fs.js';

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

export class HostServices {
  private readonly active: Partial<Record<ServiceName, ActiveConfig>>;

  constructor(
    private readonly host: Host,
    private readonly fs: RootFs,
    /** JSON file that keeps the active configurations across restarts of the simulator. */
    private readonly stateFile: string,
    /** Called after the active configuration of a service changed (loaded, or the daemon stopped). */
    private readonly onChange: (service: ServiceName) => void = () => {},
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

  run(command: ServiceCommand): CommandResult {
    const result = checkService(this.fs, this.host, command.service);
    const report = result.messages.map((message) => `${message}\n`).join('');
    if (command.action === 'check') {
      return result.ok ? { code: 0, stdout: report, stderr: '' } : { code: 1, stdout: '', stderr: report };
    }
    const restart = command.argv.includes('restart');
    if (!result.ok) {
      if (restart) this.setActive(command.service, undefined);
      const unit = command.argv[0] === 'systemctl' ? command.argv[command.argv.length - 1] : undefined;
      const tail = unit
        ? `Job for ${unit.replace(/\.service$/, '')}.service failed because the control process exited with error code.\n`
        : `${command.argv[0]}: '${command.argv.slice(1).join(' ')}' failed: the configuration has errors; the running one is kept\n`;
      return { code: 1, stdout: '', stderr: report + tail };
    }
    const files = result.files;
    const sha256 = createHash('sha256')
      .update(JSON.stringify(Object.entries(files).sort()))
      .digest('hex');
    this.setActive(command.service, { service: command.service, files, sha256 });
    return { code: 0, stdout: command.argv[0] === 'rndc' ? 'server reload successful\n' : '', stderr: '' };
  }

  private setActive(service: ServiceName, config: ActiveConfig | undefined): void {
    if (config) this.active[service] = config;
    else delete this.active[service];
    writeFileSync(this.stateFile, `${JSON.stringify(this.active, null, 2)}\n`);
    this.onChange(service);
  }
}

function readState(file: string): Partial<Record<ServiceName, ActiveConfig>> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<ServiceName, ActiveConfig>>;
  } catch {
    return {};
  }
}
