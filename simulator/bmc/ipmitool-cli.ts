/**
 * The simulated lab's stand-in for `ipmitool`: the same command line as the real one for what the
 * runbooks use (`-I lanplus -H <bmc> [-p <port>] -U <user> -E|-P <password> chassis power …|chassis
 * bootdev …`, `-E` reading IPMI_PASSWORD), the same output and exit status. Instead of RMCP+ over UDP
 * it reaches the simulated BMC through the lab's admin endpoint (loopback, the API server's token),
 * found with the kubeconfig named by RUNBOOK_SIM_KUBECONFIG; `runbook sim start` writes a wrapper
 * (`<state dir>/bin/ipmitool`) that sets it, and a rehearsal points the IPMI driver at that wrapper.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { adminRequest, adminTargetFromKubeconfig, type AdminTarget } from '../admin-client.js';
import { IPMI_ROUTE, NO_SESSION_MESSAGE, type IpmiSessionRequest, type IpmitoolOutput } from './ipmi-wire.js';

const WITH_VALUE = new Set(['-I', '-H', '-p', '-U', '-P', '-L', '-C', '-R', '-N', '-y', '-k']);

/** Parses ipmitool's options; a usage problem comes back as ipmitool's own kind of message. */
export function parseIpmitoolArgv(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { request: IpmiSessionRequest } | { error: IpmitoolOutput } {
  const options = new Map<string, string>();
  let index = 0;
  for (; index < argv.length && argv[index]!.startsWith('-'); index++) {
    const flag = argv[index]!;
    if (flag === '-E') options.set('-E', '');
    else if (WITH_VALUE.has(flag) && index + 1 < argv.length) options.set(flag, argv[++index]!);
    else return usage(`Invalid option: ${flag}`);
  }
  const command = argv.slice(index);
  if (command.length === 0) return usage('No command provided!');
  if (options.get('-I') !== 'lanplus') {
    return usage(`the simulated lab's ipmitool speaks only -I lanplus (IPMI v2.0), not ${options.get('-I') ?? 'open'}`);
  }
  const host = options.get('-H');
  if (!host) return usage('No hostname specified!');
  const port = options.has('-p') ? Number(options.get('-p')) : 623;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`Invalid port: ${options.get('-p')}`);
  let password: string | undefined;
  if (options.has('-E')) {
    password = env.IPMI_PASSWORD;
    if (password === undefined) return usage('Unable to read password from environment');
  } else password = options.get('-P');
  if (password === undefined) return usage('Unable to read password: give -E (IPMI_PASSWORD) or -P');
  return { request: { address: host, port, username: options.get('-U') ?? '', password, command } };
}

function usage(message: string): { error: IpmitoolOutput } {
  return { error: { exitCode: 1, stdout: '', stderr: `${message}\n` } };
}

/**
 * The lab's admin endpoint: its own port when endpoints.json (beside the kubeconfig) names one, since
 * that port stays up through API outages and a BMC does not go down with the cluster; else the API's.
 */
async function adminTarget(kubeconfig: string): Promise<AdminTarget> {
  const target = await adminTargetFromKubeconfig(kubeconfig);
  const endpoints = await readFile(path.join(path.dirname(kubeconfig), 'endpoints.json'), 'utf8')
    .then((text) => JSON.parse(text) as { apiServer?: { adminUrl?: unknown } })
    .catch(() => undefined);
  const adminUrl = endpoints?.apiServer?.adminUrl;
  return typeof adminUrl === 'string' ? { ...target, url: adminUrl } : target;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<IpmitoolOutput> {
  const parsed = parseIpmitoolArgv(argv, env);
  if ('error' in parsed) return parsed.error;
  const kubeconfig = env.RUNBOOK_SIM_KUBECONFIG;
  if (!kubeconfig) {
    return usage("this ipmitool is the simulated lab's stand-in: run it through <state dir>/bin/ipmitool").error;
  }
  try {
    const reply = await adminRequest(await adminTarget(kubeconfig), 'POST', IPMI_ROUTE, parsed.request);
    const body = reply.body as Partial<IpmitoolOutput>;
    if (reply.status === 200 && typeof body.exitCode === 'number') {
      return { exitCode: body.exitCode, stdout: body.stdout ?? '', stderr: body.stderr ?? '' };
    }
    return {
      exitCode: 1,
      stdout: '',
      stderr: `the simulated lab answered HTTP ${reply.status}: ${JSON.stringify(reply.body)}\n`,
    };
  } catch (error) {
    // As the real ipmitool when nothing answers at the BMC's address.
    return {
      exitCode: 1,
      stdout: '',
      stderr: `${NO_SESSION_MESSAGE}\n(the simulated lab is not reachable: ${(error as Error).message})\n`,
    };
  }
}
