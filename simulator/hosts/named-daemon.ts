/**
 * The real `named` of a simulated DNS host: chrooted in the host's root folder (`named -t`), reading
 * the host's zone statements and zone files, answering on a loopback port; `rndc` reloads it through
 * its control channel, and `dig` asks it. Started, reloaded and stopped as the host's service
 * commands say (./services.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { join, posix } from 'node:path';
import type { Host } from '../../lab/schema.js';
import { DaemonProcess } from './daemon-process.js';
import { findTool, missingProgram, privileged, runProgram } from './debian-programs.js';
import { namedLoopbackConf, newRndcSecret, rndcLoopbackConf, type NamedLoopback } from './loopback-configs.js';
import type { RootFs } from './root-fs.js';
import type { CommandResult } from './services.js';

/** Inside the host's root: what `named -t` reads as its configuration. */
const LOOPBACK_CONF = '/run/named/simulator-loopback.conf';

/** What a Debian DNS host has before any runbook ran: named.conf including the lab's zone statements. */
export function seedNamedHost(fs: RootFs, dns: NonNullable<Host['dns']>): void {
  for (const folder of ['/var/cache/bind', '/run/named', '/etc/bind']) fs.mkdirp(folder);
  if (!fs.exists('/etc/bind/named.conf'))
    writeFileSync(
      fs.local('/etc/bind/named.conf'),
      `// The host's named.conf: Debian's options, and the zone statements the procedure writes.\n` +
        `options {\n    directory "/var/cache/bind";\n};\ninclude "${dns.zonesConf}";\n`,
    );
}

/** The host's dig and rndc talk to ports 53 and 953: their messages say so, not the loopback port standing for it. */
function labPort(result: CommandResult, loopback: number, port: number): CommandResult {
  const fix = (text: string) => text.split(`127.0.0.1#${loopback}`).join(`127.0.0.1#${port}`);
  return { code: result.code, stdout: fix(result.stdout), stderr: fix(result.stderr) };
}

/** What named logs (-g) once a reload is over, loaded or not. */
const RELOADED = /all zones loaded|reloading configuration failed|reloading zones failed|loading configuration: /;

/** What rndc says on a host where named is not running. */
export const RNDC_REFUSED: CommandResult = {
  code: 1,
  stdout: '',
  stderr: 'rndc: connect failed: 127.0.0.1#953: connection refused\n',
};

export class NamedDaemon {
  private readonly process: DaemonProcess;
  private readonly rndcConf: string;

  constructor(
    private readonly host: Host & { dns: NonNullable<Host['dns']> },
    private readonly fs: RootFs,
    stateDir: string,
    readonly loopback: NamedLoopback,
    /** Names this named answers wrongly (the dns-wrong-address fault): full name → address. */
    private readonly wrongAnswers: () => ReadonlyMap<string, string> = () => new Map(),
  ) {
    mkdirSync(stateDir, { recursive: true });
    this.process = new DaemonProcess(`named of ${host.name}`, join(stateDir, 'named.log'));
    this.rndcConf = join(stateDir, 'rndc.conf');
    writeFileSync(this.rndcConf, rndcLoopbackConf(loopback), { mode: 0o600 });
  }

  static loopback(port: number, controlPort: number): NamedLoopback {
    return { port, controlPort, secret: newRndcSecret() };
  }

  running(): boolean {
    return this.process.running();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  /** Starts named (`systemctl start named`); a configuration it cannot load leaves it stopped. */
  async start(): Promise<CommandResult> {
    if (this.process.running()) return { code: 0, stdout: '', stderr: '' };
    const named = findTool('named');
    if (!named) return missingProgram('named');
    seedNamedHost(this.fs, this.host.dns);
    this.writeLoopbackConf();
    const started = await this.process.start(
      privileged([named, '-g', '-n', '1', '-t', this.fs.root, '-c', LOOPBACK_CONF]),
      /^.*\brunning$/m,
    );
    if (started.ok) return { code: 0, stdout: '', stderr: '' };
    // What journalctl would show of the failed start: named's own lines.
    const lines = started.output
      .split('\n')
      .filter((line) => /error|failed|not found|unexpected|expected|unknown|exiting/i.test(line))
      .filter((line) => !/\bbuilt with\b/.test(line))
      .map((line) => line.replace(/^\d\d-\w{3}-\d{4} [\d:.]+ /, ''));
    return { code: 1, stdout: '', stderr: lines.map((line) => `${line}\n`).join('') };
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  /** named's loopback configuration, from the host's files as they are now (see loopback-configs.ts). */
  writeLoopbackConf(): void {
    const { zonesConf } = this.host.dns;
    // A wrong answer is a zone of its own for that one name: named answers from the closest zone.
    const overrides = [...this.wrongAnswers()].map(([name, address], index) => {
      const file = `/run/named/simulator-fault-${index}.zone`;
      writeFileSync(
        this.fs.local(file),
        `$TTL 60\n@ IN SOA ns.simulator-fault. hostmaster.simulator-fault. ( 1 60 60 60 60 )\n` +
          `@ IN NS ns.simulator-fault.\n@ IN A ${address}\n`,
      );
      return `// The dns-wrong-address fault of the simulated lab.\nzone "${name}" { type primary; file "${file}"; };\n`;
    });
    writeFileSync(
      this.fs.local(LOOPBACK_CONF),
      namedLoopbackConf(this.fs.exists(zonesConf) ? zonesConf : undefined, this.loopback) + overrides.join(''),
    );
  }

  async close(): Promise<void> {
    await this.process.close();
  }

  /** `rndc <args>` against this named, as the host's rndc reaches it. */
  async rndc(args: readonly string[]): Promise<CommandResult> {
    const rndc = findTool('rndc');
    if (!rndc) return missingProgram('rndc');
    const reloading = args[0] === 'reload' || args[0] === 'reconfig';
    if (reloading) this.writeLoopbackConf();
    const from = this.process.mark();
    const result = labPort(await runProgram([rndc, '-c', this.rndcConf, ...args]), this.loopback.controlPort, 953);
    // rndc returns once named has begun reloading; the zones load after. Waiting for them here keeps
    // what first boot and the next dig see from depending on how fast this machine is.
    if (reloading && result.code === 0) {
      await this.process.waitFor(RELOADED, from, 10_000);
      await this.servesFiles();
    }
    return result;
  }

  /**
   * Until named serves each zone of the host's zone statements with the serial of its file (a zone
   * whose file it refused keeps the old one: then after a few seconds, as named is done by then).
   */
  private async servesFiles(): Promise<void> {
    const conf = this.fs.readText(this.host.dns.zonesConf) ?? '';
    const zones = [...conf.replace(/\/\/[^\n]*/g, '').matchAll(/zone\s+"([^"]+)"[^{]*\{([^{}]*)\}/g)].flatMap(
      (zone) => {
        const file = /file\s+"([^"]+)"/.exec(zone[2]!)?.[1];
        const text =
          file === undefined
            ? undefined
            : this.fs.readText(posix.isAbsolute(file) ? file : posix.join('/var/cache/bind', file));
        // The serial after the SOA's two names (the simulator's own reading, not the product's).
        const serial = text && /\bSOA\s+\S+\s+\S+\s*\(?\s*(\d+)/.exec(text.replace(/;[^\n]*/g, ''))?.[1];
        return serial === undefined ? [] : [{ name: zone[1]!, serial: Number(serial) }];
      },
    );
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${this.loopback.port}`]);
    const served = (zone: { name: string; serial: number }) =>
      resolver.resolveSoa(zone.name).then(
        (soa) => soa.serial === zone.serial,
        () => false,
      );
    for (let tries = 0; tries < 30; tries++) {
      if ((await Promise.all(zones.map(served))).every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Reloads named until it answers each of its wrong answers (the dns-wrong-address fault), or they are
   * gone: the zone for a new wrong name loads after `rndc reload` has returned. Gives up after about 10 s.
   */
  async followWrongAnswers(): Promise<void> {
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${this.loopback.port}`]);
    const serves = async () => {
      for (const [name, address] of this.wrongAnswers()) {
        const records = await resolver.resolve4(name).catch((): string[] => []);
        if (!records.includes(address)) return false;
      }
      return true;
    };
    for (let tries = 0; tries < 100; tries++) {
      if (tries % 20 === 0) await this.rndc(['reload']);
      if (await serves()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** `dig @127.0.0.1 …` on the host: the real dig, toward this named's loopback port. */
  async dig(args: readonly string[]): Promise<CommandResult> {
    const dig = findTool('dig');
    if (!dig) return missingProgram('dig');
    return labPort(await runProgram([dig, '-p', String(this.loopback.port), ...args]), this.loopback.port, 53);
  }
}
