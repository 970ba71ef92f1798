/**
 * Lab files: `runbook validate --lab <file>` reports every issue at once (field, line, fix);
 * `runbook schema` prints the JSON Schema editors use (`runbook schema > lab.schema.json`).
 */
import type { Command } from 'commander';
import { labJsonSchemaText } from '../../lab/json-schema.js';
import { LabValidationError, loadLab } from '../../lab/load.js';
import { nodeRoles, type Lab } from '../../lab/schema.js';
import { ExitCode, UserError } from '../errors.js';
import { printJson } from '../output.js';

export function registerLabCommands(program: Command): void {
  program
    .command('validate')
    .description('check a lab file: schema, cross-field rules and secret references (values are never printed)')
    .requiredOption('--lab <file>', 'the lab YAML file, e.g. runbooks/labs/example.yaml')
    .option('--no-check-secrets', 'do not check that secret references resolve (for a machine without the secrets)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { lab: string; checkSecrets: boolean; json?: boolean }) => {
      let lab: Lab;
      try {
        lab = await loadLab(options.lab, { checkSecrets: options.checkSecrets });
      } catch (error) {
        if (!(error instanceof LabValidationError)) throw error;
        if (options.json) {
          printJson({ ok: false, source: options.lab, issues: error.issues });
          throw new UserError(error.message, ExitCode.FAILED);
        }
        throw new UserError(error.message, ExitCode.FAILED, [
          ...error.lines(),
          'fix these in the lab file and run `runbook validate` again',
        ]);
      }
      if (options.json) printJson({ ok: true, source: options.lab, lab });
      else process.stdout.write(`${options.lab}: ${summary(lab)}\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of lab files (runbook schema > lab.schema.json)')
    .action(() => {
      process.stdout.write(labJsonSchemaText());
    });
}

/** `lab "intra" is valid: 12 nodes (1 bootstrap, 3 master, …), 7 helper hosts, day-2: ldap, infra`. */
function summary(lab: Lab): string {
  const roles = nodeRoles
    .map((role) => [role, lab.nodes.filter((node) => node.role === role).length] as const)
    .filter(([, count]) => count > 0)
    .map(([role, count]) => `${count} ${role}`);
  const day2 = Object.entries(lab.day2).flatMap(([key, value]) => (value === undefined ? [] : [key]));
  return [
    `lab "${lab.name}" is valid: ${lab.nodes.length} nodes (${roles.join(', ')})`,
    `${lab.hosts.length} helper hosts`,
    `day-2: ${day2.length === 0 ? 'none' : day2.join(', ')}`,
  ].join(', ');
}
