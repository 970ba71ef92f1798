/**
 * A simulated host's file system: a local folder that stands for its `/`. Remote paths resolve
 * inside it like under chroot (`/..` is `/`), and a symlink that points outside is refused, so
 * nothing a client sends reaches the rest of this machine.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, posix, resolve, sep } from 'node:path';

export class PathEscapeError extends Error {
  readonly code = 'EACCES';
  constructor(remote: string) {
    super(`${remote} leads outside the host's file system`);
    this.name = 'PathEscapeError';
  }
}

export class RootFs {
  /** The real path of the local folder. */
  readonly root: string;

  constructor(root: string) {
    mkdirSync(root, { recursive: true });
    this.root = realpathSync(root);
  }

  /** The remote path in canonical form: absolute, no `.`/`..`, no trailing slash. */
  normalize(remote: string): string {
    return posix.resolve('/', remote);
  }

  /**
   * The local path of `remote`. With `follow` (the default) symlinks along the whole path must stay
   * inside the root; without it the last component may itself be a link (lstat, remove, rename).
   */
  local(remote: string, follow = true): string {
    const normalized = this.normalize(remote);
    // `/` is the root folder itself (a real path already): its parent is outside, so it is not checked.
    if (normalized === '/') return this.root;
    const local = join(this.root, ...normalized.split('/').filter(Boolean));
    const real = realpathOfExistingPrefix(follow ? local : dirname(local));
    if (real !== this.root && !real.startsWith(this.root + sep)) throw new PathEscapeError(normalized);
    return local;
  }

  /** The remote path of a local one inside the root (for readlink); undefined outside it. */
  remote(local: string): string | undefined {
    if (local === this.root) return '/';
    if (!local.startsWith(this.root + sep)) return undefined;
    return `/${local
      .slice(this.root.length + 1)
      .split(sep)
      .join('/')}`;
  }

  mkdirp(remote: string): void {
    mkdirSync(this.local(remote), { recursive: true });
  }

  exists(remote: string): boolean {
    try {
      return existsSync(this.local(remote));
    } catch {
      return false;
    }
  }

  /** A file's text, or undefined when it is missing (or not reachable). */
  readText(remote: string): string | undefined {
    try {
      return readFileSync(this.local(remote), 'utf8');
    } catch {
      return undefined;
    }
  }
}

/** Where `path` really leads: the real path of its longest existing part, dangling links followed. */
function realpathOfExistingPrefix(path: string, depth = 0): string {
  let current = path;
  let rest = '';
  for (;;) {
    try {
      return join(realpathSync(current), rest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) throw error;
      const link = danglingLinkTarget(current);
      if (link !== undefined) {
        if (depth > 32)
          throw Object.assign(new Error(`too many levels of symbolic links at ${current}`), { code: 'ELOOP' });
        return realpathOfExistingPrefix(join(link, rest), depth + 1);
      }
      rest = rest ? join(basename(current), rest) : basename(current);
      current = dirname(current);
    }
  }
}

function danglingLinkTarget(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return resolve(dirname(path), readlinkSync(path));
  } catch {
    return undefined;
  }
}
