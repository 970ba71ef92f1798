/**
 * `runbook sim`: run the simulated lab of a lab file in the foreground (`start`), say where a
 * running one stands (`status`), turn faults on and off in it (`fault add|clear|list`), and press a
 * node's power button (`power`).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { hostsWith, type Lab } from '../../lab/schema.js';
import { loadLab, LabValidationError, formatIssue } from '../../lab/load.js';
import { resolveSecret } from '../../lab/secrets.js';
import { adminRequest, adminTargetFromKubeconfig, labStatus, formatLabStatus } from '../../simulator/admin-client.js';
import { BMC_ROUTE, POWER_BUTTON_ROUTE, type NodeBoot } from '../../simulator/bmc/index.js';
import { FAULTS_ROUTE, faultHelpLines, faultSchema, loadScenario, type Fault } from '../../simulator/faults.js';
// Types only: the simulated lab loads when `sim start` runs, not with every command (`runbook worker`).
import type { LabStart, SimulatedLab } from '../../simulator/lab-sim.js';
import {
  CONTROL_PLANE_VERSION,
  ControlPlaneError,
  controlPlaneBinDir,
  findControlPlaneBinaries,
} from '../../simulator/control-plane/binaries.js';
import { ExitCode, UserError } from '../errors.js';
import { printJson } from '../output.js';

function timeScale(value: string): number {
  const scale = Number(value);
  if (!Number.isFinite(scale) || scale < 0)
    throw new InvalidArgumentError('must be a number of 0 or more (1 = real time, 0.05 = twenty times faster)');
  return scale;
}

function startingPoint(value: string): LabStart {
  if (value !== 'bare' && value !== 'installed')
    throw new InvalidArgumentError('must be "bare" (nothing installed) or "installed" (right after install)');
  return value;
}

async function loadLabOrExplain(file: string) {
  try {
    return await loadLab(file);
  } catch (error) {
    if (error instanceof LabValidationError) {
      throw new UserError(
        `${file} is not a valid lab file; fix it and start again`,
        ExitCode.FAILED,
        error.issues.map((issue) => formatIssue(issue)),
      );
    }
    throw error;
  }
}

/** Parses `kind key=value…` into a fault, e.g. `api-down seconds=30`. */
function faultFromWords(kind: string, pairs: readonly string[]): Fault {
  const fields: Record<string, unknown> = { kind };
  for (const pair of pairs) {
    const [key, ...rest] = pair.split('=');
    if (!key || rest.length === 0)
      throw new UserError(`"${pair}" is not key=value (e.g. node=compute1, seconds=30)`, ExitCode.USAGE);
    const value = rest.join('=');
    fields[key] = /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  const result = faultSchema.safeParse(fields);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || 'kind'}: ${issue.message}`);
    throw new UserError(`not a valid fault: ${issues.join('; ')}`, ExitCode.USAGE, ['kinds:', ...faultHelpLines()]);
  }
  return result.data;
}

/**
 * A 0600 copy of the lab's SSH private key in the state folder (git keeps the example key 0644,
 * which OpenSSH refuses), and a known_hosts file with each simulated host's key at its port, so
 * that the suggested `ssh` works as printed. Returns their paths.
 */
async function opensshFiles(
  lab: Lab,
  running: SimulatedLab,
  stateDir: string,
): Promise<{ key: string; knownHosts: string }> {
  const key = path.join(stateDir, 'id_ssh');
  await writeFile(key, `${await resolveSecret(lab.secrets.sshPrivateKey)}\n`, { mode: 0o600 });
  const knownHosts = path.join(stateDir, 'known_hosts');
  const lines = running.endpoints.hosts.map((host) => `[${host.address}]:${host.port} ${host.hostKey}`);
  await writeFile(knownHosts, `${lines.join('\n')}\n`);
  return { key, knownHosts };
}

async function adminTarget(stateDir: string) {
  const kubeconfig = path.join(stateDir, 'kubeconfig');
  let target;
  try {
    target = await adminTargetFromKubeconfig(kubeconfig);
  } catch (error) {
    throw new UserError(
      `no simulated lab state in ${stateDir}: start one with \`runbook sim start --state-dir ${stateDir}\``,
      ExitCode.NOT_FOUND,
      [String(error)],
    );
  }
  // The admin port stays up while the API is down (api-down faults); older state folders lack it.
  const endpoints = JSON.parse(await readFile(path.join(stateDir, 'endpoints.json'), 'utf8').catch(() => '{}')) as {
    apiServer?: { adminUrl?: string };
  };
  return endpoints.apiServer?.adminUrl ? { ...target, url: endpoints.apiServer.adminUrl } : target;
}

async function admin(stateDir: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const target = await adminTarget(stateDir);
  let reply;
  try {
    reply = await adminRequest(target, method, route, body);
  } catch (error) {
    throw new UserError(
      `the simulated lab of ${stateDir} does not answer at ${target.url}: is \`runbook sim start\` still running?`,
      ExitCode.UNAVAILABLE,
      [String(error)],
    );
  }
  if (reply.status >= 400) {
    const message = (reply.body as { message?: string } | undefined)?.message ?? JSON.stringify(reply.body);
    throw new UserError(`the simulated lab refused: ${message}`, ExitCode.FAILED);
  }
  return reply.body;
}

export function registerSimCommands(program: Command): void {
  const sim = program
    .command('sim')
    .description('Run a simulated lab (API server, helper hosts, power) to rehearse runbooks')
    .option(
      '--install',
      'only make sure the real control plane binaries (etcd, kube-apiserver, kube-controller-manager, ' +
        'kube-scheduler) are built, print their folder and exit',
    )
    .addHelpText(
      'after',
      `
The real control plane is built once with Go into the user cache (${controlPlaneBinDir(CONTROL_PLANE_VERSION)}):
several minutes and about 2.5 GB of memory. scripts/install-deps.sh runs \`runbook sim --install\`.
`,
    )
    .action(async (options: { install?: boolean }) => {
      if (!options.install) {
        sim.help();
        return;
      }
      let binaries;
      try {
        binaries = await findControlPlaneBinaries(CONTROL_PLANE_VERSION, { install: true });
      } catch (error) {
        if (error instanceof ControlPlaneError) throw new UserError(error.message, ExitCode.UNAVAILABLE, error.details);
        throw error;
      }
      process.stdout.write(`${path.dirname(binaries['kube-apiserver'])}\n`);
    });

  sim
    .command('start')
    .description('Start the simulated lab of a lab file and keep it running until Ctrl-C')
    .requiredOption('--lab <file>', 'lab file')
    .requiredOption('--state-dir <dir>', "folder for the kubeconfig, endpoints.json and the hosts' files")
    .option(
      '--from <start>',
      'bare (nothing installed) or installed (right after install)',
      startingPoint,
      'bare' as LabStart,
    )
    .option('--time-scale <n>', 'lab time factor: 1 real time, 0.05 an install in minutes, 0 instant', timeScale, 0.05)
    .option('--faults <scenario>', 'YAML file with `faults: [...]` to turn on from the start')
    .option(
      '--real-control-plane',
      'run the lab on a real etcd, kube-apiserver, kube-controller-manager and kube-scheduler ' +
        "(built by `runbook sim --install`): the lab's controllers are their clients and endpoints.json " +
        'names the real server (through its api-down proxy)',
    )
    .option('--json', 'print the endpoints as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  runbook sim start --lab runbooks/labs/example.yaml --state-dir /tmp/lab --from installed\n',
    )
    .action(
      async (options: {
        lab: string;
        stateDir: string;
        from: LabStart;
        timeScale: number;
        faults?: string;
        realControlPlane?: boolean;
        json?: boolean;
      }) => {
        const lab = await loadLabOrExplain(options.lab);
        let faults: Fault[] = [];
        if (options.faults) {
          try {
            faults = await loadScenario(options.faults);
          } catch (error) {
            throw new UserError(error instanceof Error ? error.message : String(error), ExitCode.USAGE);
          }
        }
        const stateDir = path.resolve(options.stateDir);
        const { startSimulatedLab } = await import('../../simulator/lab-sim.js');
        let running;
        try {
          running = await startSimulatedLab({
            lab,
            stateDir,
            from: options.from,
            timeScale: options.timeScale,
            faults,
            ...(options.realControlPlane ? { realControlPlane: true } : {}),
          });
        } catch (error) {
          if (error instanceof ControlPlaneError)
            throw new UserError(error.message, ExitCode.UNAVAILABLE, error.details);
          throw error;
        }
        const real = running.controlPlane?.plane;
        if (options.json) {
          printJson({
            kubeconfig: running.kubeconfigPath,
            endpoints: running.endpointsPath,
            ...running.endpoints,
            ...(real
              ? { realControlPlane: { version: real.version, url: real.url, kubeconfig: real.kubeconfigPath } }
              : {}),
          });
        } else {
          const { key, knownHosts } = await opensshFiles(lab, running, stateDir);
          const hypervisor = hostsWith(lab, 'hypervisor')[0];
          const hypervisorPort = running.endpoints.hosts.find((host) => host.name === hypervisor?.name)?.port;
          const lines = [
            `Simulated lab "${lab.name}" (${options.from}, time scale ${options.timeScale}) is running. Ctrl-C stops it.`,
            '',
            `API server   ${running.apiUrl}`,
            `kubeconfig   ${running.kubeconfigPath}`,
            `endpoints    ${running.endpointsPath}`,
            ...(real
              ? [
                  `real control plane (Kubernetes ${real.version}, the lab's OpenShift objects copied in): ${real.url}`,
                  `             kubeconfig ${real.kubeconfigPath}`,
                ]
              : []),
            '',
            'Helper hosts (SSH on loopback):',
            ...running.endpoints.hosts.map(
              (host) =>
                `  ${host.name.padEnd(10)} port ${String(host.port).padEnd(6)} root ${host.root}\n             host key ${host.hostKey}`,
            ),
            '',
            'Try:',
            `  kubectl --kubeconfig ${running.kubeconfigPath} get nodes`,
            ...(hypervisor && hypervisorPort
              ? [
                  `  ssh -p ${hypervisorPort} -i ${key} -o UserKnownHostsFile=${knownHosts} ` +
                    `${hypervisor.ssh.user}@127.0.0.1 virsh -c ${hypervisor.hypervisor.uri} list --all`,
                ]
              : []),
            `  runbook sim status --state-dir ${stateDir}`,
            `  runbook sim fault add api-down seconds=30 --state-dir ${stateDir}`,
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await running.stop();
      },
    );

  sim
    .command('status')
    .description('Where a running simulated lab stands: API, install progress, each node, faults in force')
    .requiredOption('--state-dir <dir>', 'state folder of the running lab')
    .option('--json', 'print the status as JSON')
    .action(async (options: { stateDir: string; json?: boolean }) => {
      const target = await adminTarget(options.stateDir);
      let status;
      try {
        status = await labStatus(target, await adminTargetFromKubeconfig(path.join(options.stateDir, 'kubeconfig')));
      } catch (error) {
        throw new UserError(
          `the simulated lab of ${options.stateDir} does not answer at ${target.url}: is \`runbook sim start\` still running?`,
          ExitCode.UNAVAILABLE,
          [String(error)],
        );
      }
      if (options.json) printJson(status);
      else process.stdout.write(`${formatLabStatus(status)}\n`);
    });

  const kinds = `\nFault kinds and their fields (key=value):\n${faultHelpLines().join('\n')}\n`;
  const fault = sim
    .command('fault')
    .description('Turn faults on and off in a running simulated lab')
    .addHelpText('after', kinds);
  fault
    .command('add <kind> [fields...]')
    .description('Add a fault, e.g. `api-down seconds=30` or `csr-never-appears node=compute1`')
    .requiredOption('--state-dir <dir>', 'state folder of the running lab')
    .addHelpText('after', kinds)
    .action(async (kind: string, fields: string[], options: { stateDir: string }) => {
      printJson(await admin(options.stateDir, 'POST', FAULTS_ROUTE, faultFromWords(kind, fields)));
    });
  fault
    .command('clear [kind]')
    .description('Clear every fault, or those of one kind')
    .requiredOption('--state-dir <dir>', 'state folder of the running lab')
    .action(async (kind: string | undefined, options: { stateDir: string }) => {
      printJson(
        await admin(
          options.stateDir,
          'DELETE',
          kind ? `${FAULTS_ROUTE}?kind=${encodeURIComponent(kind)}` : FAULTS_ROUTE,
        ),
      );
    });
  fault
    .command('list')
    .description('List the faults in force')
    .requiredOption('--state-dir <dir>', 'state folder of the running lab')
    .action(async (options: { stateDir: string }) => {
      printJson(await admin(options.stateDir, 'GET', FAULTS_ROUTE));
    });

  sim
    .command('power <node> [state]')
    .description(
      "Press a node's power button (on|off), as the operator does for a node with manual power; " +
        'without a state, show its power and boot device',
    )
    .requiredOption('--state-dir <dir>', 'state folder of the running lab')
    .action(async (node: string, state: string | undefined, options: { stateDir: string }) => {
      if (state === undefined) {
        const board = (await admin(options.stateDir, 'GET', BMC_ROUTE)) as {
          power: Record<string, string>;
          boot: Record<string, NodeBoot>;
        };
        if (!(node in board.power)) {
          throw new UserError(
            `the simulated lab has no node "${node}" (nodes: ${Object.keys(board.power).join(', ')})`,
            ExitCode.NOT_FOUND,
          );
        }
        printJson({ node, power: board.power[node], boot: board.boot[node] });
        return;
      }
      if (state !== 'on' && state !== 'off') throw new UserError(`"${state}" is not on or off`, ExitCode.USAGE);
      printJson(await admin(options.stateDir, 'POST', POWER_BUTTON_ROUTE, { node, state }));
    });
}
