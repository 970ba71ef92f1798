/**
 * `runbook`: start, follow, resume and schedule OpenShift runbooks on Temporal; validate and render
 * lab files; run the simulated lab. Each command group lives in ./commands/.
 */
import { Command, CommanderError } from 'commander';
import { asUserError, ExitCode } from './errors.js';
import { registerLabCommands } from './commands/lab.js';
import { registerPlanCommands } from './commands/plan.js';
import { registerRehearseCommands } from './commands/rehearse.js';
import { registerRenderCommands } from './commands/render.js';
import { registerRunbookCommands } from './commands/runbooks.js';
import { registerScheduleCommands } from './commands/schedule.js';
import { registerServerCommands } from './commands/server.js';
import { registerSimCommands } from './commands/sim.js';

/** Scripts that asked for `--json` read errors as JSON too (on stderr, so stdout stays the result). */
const jsonErrors = process.argv.includes('--json');

const program = new Command('runbook')
  .description('Durable, resumable OpenShift 4 bare-metal runbooks on Temporal')
  .showHelpAfterError(jsonErrors ? false : '(run with --help for usage)')
  .exitOverride()
  .configureOutput({
    // Usage errors under --json: the same JSON shape as every other error (exit code 2).
    outputError: (text, write) =>
      write(
        jsonErrors
          ? `${JSON.stringify({ error: { message: text.trim().replace(/^error: /, ''), exitCode: ExitCode.USAGE, details: [] } })}\n`
          : text,
      ),
  });

registerRunbookCommands(program);
registerRehearseCommands(program);
registerPlanCommands(program);
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
    // commander already printed its message (or the help / version text), as JSON under --json.
    return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  const userError = asUserError(error);
  if (userError) {
    writeError(userError.message, userError.exitCode, userError.details);
    return userError.exitCode;
  }
  if (jsonErrors) writeError(error instanceof Error ? error.message : String(error), ExitCode.FAILED, stackOf(error));
  else process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.FAILED;
}

function writeError(message: string, exitCode: number, details: readonly string[]): void {
  if (jsonErrors) {
    process.stderr.write(`${JSON.stringify({ error: { message, exitCode, details } })}\n`);
    return;
  }
  process.stderr.write(`error: ${message}\n`);
  for (const line of details) process.stderr.write(`  ${line}\n`);
}

function stackOf(error: unknown): string[] {
  return error instanceof Error && error.stack
    ? error.stack
        .split('\n')
        .slice(1)
        .map((line) => line.trim())
    : [];
}
