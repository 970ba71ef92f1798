/**
 * `ipmitool -I lanplus -H <bmc> -U <user> -E|-P <password> power on|off|status|cycle` for lab nodes
 * with IPMI power, answering as the BMC would. The password (from IPMI_PASSWORD with -E) must be
 * present; it is never logged or echoed.
 */
import type { Lab } from '../../lab/schema.js';
import type { PowerBoard } from './power-board.js';
import type { CommandResult } from './services.js';

const NO_SESSION: CommandResult = {
  code: 1,
  stdout: '',
  stderr: 'Error: Unable to establish IPMI v2 / RMCP+ session\n',
};

/** Runs an ipmitool command line; undefined when it is not one of the accepted forms. */
export function runIpmitool(
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  lab: Lab,
  power: PowerBoard,
): CommandResult | undefined {
  const options = new Map<string, string>();
  let index = 1;
  for (; index < argv.length && argv[index]!.startsWith('-'); index++) {
    const flag = argv[index]!;
    if (flag === '-E') options.set('-E', '');
    else if (['-I', '-H', '-U', '-P', '-L', '-C', '-p'].includes(flag) && index + 1 < argv.length)
      options.set(flag, argv[++index]!);
    else return undefined;
  }
  const [group, action, ...extra] = argv.slice(index);
  if (group !== 'power' || !['on', 'off', 'status', 'cycle'].includes(action ?? '') || extra.length > 0)
    return undefined;
  if (options.get('-I') !== 'lanplus' || !options.has('-H') || !options.has('-U')) return undefined;
  if (options.has('-E') === options.has('-P')) return undefined;

  const password = options.has('-E') ? env.IPMI_PASSWORD : options.get('-P');
  if (options.has('-E') && password === undefined)
    return { code: 1, stdout: '', stderr: 'Unable to read password from environment\n' };
  const node = lab.nodes.find(
    (candidate) => candidate.power.type === 'ipmi' && candidate.power.address === options.get('-H'),
  );
  if (!node || node.power.type !== 'ipmi' || node.power.username !== options.get('-U') || !password) return NO_SESSION;

  switch (action) {
    case 'status':
      return { code: 0, stdout: `Chassis Power is ${power.state(node.name)}\n`, stderr: '' };
    case 'on':
      power.set(node.name, 'on');
      return { code: 0, stdout: 'Chassis Power Control: Up/On\n', stderr: '' };
    case 'off':
      power.set(node.name, 'off');
      return { code: 0, stdout: 'Chassis Power Control: Down/Off\n', stderr: '' };
    default:
      if (power.state(node.name) === 'off') {
        return {
          code: 1,
          stdout: '',
          stderr: 'Set Chassis Power Control to Cycle failed: Command not supported in present state\n',
        };
      }
      power.cycle(node.name);
      return { code: 0, stdout: 'Chassis Power Control: Cycle\n', stderr: '' };
  }
}
