/** Options several commands share. */
import { Option } from 'commander';
import { ExitCode, UserError } from './errors.js';

export function jsonOption(): Option {
  return new Option('--json', 'print JSON instead of text');
}

/** `--option key=value` (repeatable): runbook-specific switches; `true`/`false` become booleans. */
export function optionOption(): Option {
  return new Option('--option <key=value>', 'runbook switch, repeatable (e.g. --option gate=true)')
    .argParser(collectOption)
    .default({});
}

function collectOption(value: string, previous: Record<string, string | boolean>): Record<string, string | boolean> {
  const match = /^([A-Za-z][\w-]*)=(.*)$/.exec(value);
  if (!match)
    throw new UserError(`--option takes key=value, not "${value}"`, ExitCode.USAGE, ['e.g. --option gate=true']);
  const [, key, raw] = match as unknown as [string, string, string];
  return { ...previous, [key]: raw === 'true' ? true : raw === 'false' ? false : raw };
}
