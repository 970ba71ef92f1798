/**
 * The file commands a simulated helper host runs over its own root (./root-fs.ts), with the exit
 * codes and messages of curl and GNU coreutils: `curl` (downloads to a file; only loopback URLs are
 * reachable, anything else fails as a host without a route does), `sha256sum`, `mv` and `rm -f`.
 * Only the forms runbooks use are accepted: a form not listed here is refused by the dispatcher.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isLoopbackHost } from '../../transport/guard.js';
import type { RootFs } from './root-fs.js';
import type { CommandResult } from './services.js';

/** The accepted forms, for refusals. */
export const FILE_COMMAND_FORMS = [
  'curl [-fsSL] [--retry N] [-o <file>] <http://127.0.0.1…/…>',
  'sha256sum [--] <file>…',
  'mv [-f] [-T] [--] <from> <to>',
  'rm [-f] [--] <file>…',
];

export interface FileCommandContext {
  fs: RootFs;
  /** The login's home folder, where relative paths start. */
  home: string;
}

const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });

/** Splits `-fsSL`-style flags and operands; undefined when an option is not among `flags`. */
function parseFlags(args: readonly string[], flags: string): { flags: Set<string>; operands: string[] } | undefined {
  const set = new Set<string>();
  const operands: string[] = [];
  let options = true;
  for (const arg of args) {
    if (options && arg === '--') options = false;
    else if (options && arg.startsWith('-') && arg.length > 1) {
      for (const flag of arg.slice(1)) {
        if (!flags.includes(flag)) return undefined;
        set.add(flag);
      }
    } else operands.push(arg);
  }
  return { flags: set, operands };
}

function errnoText(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied';
    default:
      return (error as Error).message;
  }
}

/** Runs `argv` when it is one of the accepted file commands; undefined otherwise. */
export function runFileCommand(argv: readonly string[], ctx: FileCommandContext): Promise<CommandResult> | undefined {
  const [program, ...args] = argv;
  switch (program) {
    case 'sha256sum': {
      const parsed = parseFlags(args, '');
      return parsed && sha256sum(parsed.operands, ctx);
    }
    case 'mv': {
      const parsed = parseFlags(args, 'fT');
      return parsed && mv(parsed.operands, parsed.flags.has('T'), ctx);
    }
    case 'rm': {
      const parsed = parseFlags(args, 'f');
      return parsed && rm(parsed.operands, parsed.flags.has('f'), ctx);
    }
    case 'curl': {
      const options = parseCurl(args);
      return options && curl(options, ctx);
    }
    default:
      return undefined;
  }
}

function localPath(ctx: FileCommandContext, path: string, follow = true): string {
  return ctx.fs.local(posix.resolve(ctx.home, path), follow);
}

async function sha256sum(files: readonly string[], ctx: FileCommandContext): Promise<CommandResult> {
  if (files.length === 0 || files.includes('-')) {
    return { code: 1, stdout: '', stderr: 'sha256sum: reading standard input is not simulated: name the files\n' };
  }
  let stdout = '';
  let stderr = '';
  for (const file of files) {
    try {
      const local = localPath(ctx, file);
      if ((await stat(local)).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
      const hash = createHash('sha256');
      await pipeline(createReadStream(local), hash);
      stdout += `${hash.digest('hex')}  ${file}\n`;
    } catch (error) {
      stderr += `sha256sum: ${file}: ${errnoText(error)}\n`;
    }
  }
  return { code: stderr ? 1 : 0, stdout, stderr };
}

async function mv(
  operands: readonly string[],
  noTargetDirectory: boolean,
  ctx: FileCommandContext,
): Promise<CommandResult> {
  const fail = (message: string): CommandResult => ({ code: 1, stdout: '', stderr: `mv: ${message}\n` });
  if (operands.length !== 2) {
    return fail(
      operands.length < 2 ? `missing destination file operand after '${operands[0] ?? ''}'` : 'extra operand',
    );
  }
  const [from, to] = operands as [string, string];
  let source: string;
  try {
    source = localPath(ctx, from, false);
    await lstat(source);
  } catch (error) {
    return fail(`cannot stat '${from}': ${errnoText(error)}`);
  }
  try {
    let target = localPath(ctx, to, false);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory()) {
      if (noTargetDirectory) return fail(`cannot overwrite directory '${to}' with non-directory`);
      target = localPath(ctx, posix.join(to, posix.basename(from)), false);
    }
    await rename(source, target);
    return ok();
  } catch (error) {
    return fail(`cannot move '${from}' to '${to}': ${errnoText(error)}`);
  }
}

async function rm(files: readonly string[], force: boolean, ctx: FileCommandContext): Promise<CommandResult> {
  if (files.length === 0 && !force) return { code: 1, stdout: '', stderr: 'rm: missing operand\n' };
  let stderr = '';
  for (const file of files) {
    try {
      const local = localPath(ctx, file, false);
      if ((await lstat(local)).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
      await unlink(local);
    } catch (error) {
      if (force && (error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      stderr += `rm: cannot remove '${file}': ${errnoText(error)}\n`;
    }
  }
  return { code: stderr ? 1 : 0, stdout: '', stderr };
}

interface CurlArgs {
  fail: boolean;
  silent: boolean;
  showError: boolean;
  location: boolean;
  retries: number;
  output?: string;
  url: string;
}

/** curl's options as runbooks write them; undefined for anything else (refused by the dispatcher). */
function parseCurl(args: readonly string[]): CurlArgs | undefined {
  const parsed: Omit<CurlArgs, 'url'> & { url?: string } = {
    fail: false,
    silent: false,
    showError: false,
    location: false,
    retries: 0,
  };
  const long: Record<string, keyof CurlArgs> = {
    '--fail': 'fail',
    '--silent': 'silent',
    '--show-error': 'showError',
    '--location': 'location',
  };
  const short: Record<string, keyof CurlArgs> = { f: 'fail', s: 'silent', S: 'showError', L: 'location' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--retry' || arg === '-o' || arg === '--output') {
      const value = args[++i];
      if (value === undefined) return undefined;
      if (arg === '--retry') {
        if (!/^\d+$/.test(value)) return undefined;
        parsed.retries = Number(value);
      } else parsed.output = value;
    } else if (long[arg]) (parsed[long[arg]] as boolean) = true;
    else if (/^-[a-zA-Z]+$/.test(arg)) {
      for (const flag of arg.slice(1)) {
        const key = short[flag];
        if (!key) return undefined;
        (parsed[key] as boolean) = true;
      }
    } else if (!arg.startsWith('-') && parsed.url === undefined) parsed.url = arg;
    else return undefined;
  }
  return parsed.url === undefined ? undefined : { ...parsed, url: parsed.url };
}

/** The status codes curl's `--retry` treats as transient. */
const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

async function curl(options: CurlArgs, ctx: FileCommandContext): Promise<CommandResult> {
  const error = (code: number, message: string): CommandResult => ({
    code,
    stdout: '',
    stderr: !options.silent || options.showError ? `curl: (${code}) ${message}\n` : '',
  });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return error(3, 'URL rejected: Malformed input to a URL function');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return error(1, `Protocol "${url.protocol.slice(0, -1)}" not supported`);
  }
  let response: Response | undefined;
  for (let redirects = 0; ;) {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    // A simulated host reaches only this machine: the rest of the lab network is not there.
    const unreachable = error(
      7,
      `Failed to connect to ${url.hostname} port ${port} after 0 ms: Couldn't connect to server`,
    );
    if (!isLoopbackHost(url.hostname)) return unreachable;
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      try {
        response = await fetch(url, { redirect: 'manual' });
      } catch {
        return unreachable;
      }
      if (!TRANSIENT.has(response.status)) break;
    }
    const location = response!.headers.get('location');
    if (!options.location || response!.status < 300 || response!.status >= 400 || !location) break;
    if (++redirects > 50) return error(47, 'Maximum (50) redirects followed');
    url = new URL(location, url);
  }
  const answer = response!;
  if (options.fail && answer.status >= 400) {
    return error(22, `The requested URL returned error: ${answer.status}`);
  }
  const body = Buffer.from(await answer.arrayBuffer());
  if (options.output === undefined) return ok(body.toString('utf8'));
  try {
    await writeFile(localPath(ctx, options.output), body);
  } catch (cause) {
    return error(23, `Failure writing output to destination, passed ${body.length} returned 0 (${errnoText(cause)})`);
  }
  return ok();
}
