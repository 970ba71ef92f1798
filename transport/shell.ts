/**
 * Command lines for a remote POSIX shell. SSH carries one string per command, so an argument vector
 * is quoted argument by argument (single quotes: the shell expands nothing inside them) and, on the
 * simulated hosts, parsed back into exactly that vector. Nothing built from lab values ever reaches a
 * shell unquoted.
 */
import { parse, type ParseEntry } from 'shell-quote';

/** Arguments made only of these characters mean the same to a shell quoted or not. */
const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX shell word: bare when harmless, else single-quoted (`'` becomes `'\''`). */
export function quoteArg(arg: string): string {
  if (SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argument vector as one command line whose words the remote shell splits back into `argv`. */
export function quoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('a command needs at least the program to run');
  return argv.map(quoteArg).join(' ');
}

export class ShellSyntaxError extends Error {
  constructor(
    public readonly commandLine: string,
    public readonly syntax: string,
  ) {
    super(`shell syntax ${JSON.stringify(syntax)} is not accepted: send one command with quoted arguments`);
    this.name = 'ShellSyntaxError';
  }
}

/**
 * Splits a command line into its argument vector, refusing anything a shell would do besides
 * splitting and unquoting: operators (`;`, `|`, `&&`, `>`, `$(`), variable expansion, globs,
 * comments and back-quotes.
 */
export function parseCommand(commandLine: string): string[] {
  const backQuote = unquotedBackQuote(commandLine);
  if (backQuote) throw new ShellSyntaxError(commandLine, '`');
  const argv: string[] = [];
  for (const entry of parse(commandLine, (name) => ({ variable: name }))) {
    if (typeof entry !== 'string') throw new ShellSyntaxError(commandLine, syntaxOf(entry));
    argv.push(entry);
  }
  return argv;
}

function syntaxOf(entry: Exclude<ParseEntry, string> | { variable: string }): string {
  if ('variable' in entry) return `$${entry.variable}`;
  if ('comment' in entry) return '#';
  if ('pattern' in entry) return entry.pattern;
  return entry.op;
}

/** shell-quote keeps back-quotes as text; a shell outside single quotes would run what they hold. */
function unquotedBackQuote(commandLine: string): boolean {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < commandLine.length; i++) {
    const char = commandLine[i];
    if (quote === "'") {
      if (char === "'") quote = undefined;
    } else if (char === '\\') {
      i++;
    } else if (char === '`') {
      return true;
    } else if (char === "'" && quote === undefined) {
      quote = "'";
    } else if (char === '"') {
      quote = quote === '"' ? undefined : '"';
    }
  }
  return false;
}
