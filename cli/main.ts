/**
 * `runbook`: start, follow, resume and schedule OpenShift runbooks on Temporal; validate and render
 * lab files; run the simulated lab. Each command group lives in ./commands/.
 */
import { Command, CommanderError } from 'commander';
import { asUserError, ExitCode } from './errors.js';
import { registerLabCommands } from './commands/lab.js';
import { registerRehearseCommands } from './commands/rehearse.js';
import { registerRenderCommands } from './commands/render.js';
import { registerRunbookCommands } from './commands/runbooks.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerServerCommands } from './commands/server.js';
import { registerSimCommands } from './commands/sim.js';

const program = new Command('runbook')
  .description('Durable, resumable OpenShift 4 bare-metal runbooks on Temporal')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerRunbookCommands(program);
registerRehearseCommands(program);
registerScheduleCommands(program);
registerServerCommands(program);
registerLabCommands(program);
registerRenderCommands(program);
registerSimCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help / version text).
    return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  const userError = asUserError(error);
  if (userError) {
    process.stderr.write(`error: ${userError.message}\n`);
    for (const line of userError.details) process.stderr.write(`  ${line}\n`);
    return userError.exitCode;
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.FAILED;
}
