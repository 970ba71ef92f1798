/**
 * SFTP (protocol v3, as ssh2 and OpenSSH clients speak it) over a host's RootFs: what put/get,
 * readFile/writeFile, stat, mkdir -p, readdir and rename need. RENAME replaces an existing target
 * like POSIX rename(2), standing in for OpenSSH's posix-rename extension, which ssh2's server cannot
 * advertise. Symlinks cannot be created.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  rename,
  rmdir,
  stat,
  truncate,
  unlink,
  utimes,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, FileEntry, InputAttributes, SFTPWrapper } from 'ssh2';
import type { RootFs } from './root-fs.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

type Handle = { kind: 'file'; file: FileHandle } | { kind: 'dir'; entries: FileEntry[] | undefined };

export function serveSftp(sftp: SFTPWrapper, fs: RootFs): void {
  const handles = new Map<number, Handle>();
  let nextHandle = 0;

  const newHandle = (handle: Handle): Buffer => {
    const id = nextHandle++;
    handles.set(id, handle);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id);
    return buffer;
  };
  const lookup = (buffer: Buffer): Handle | undefined =>
    buffer.length === 4 ? handles.get(buffer.readUInt32BE(0)) : undefined;

  /** Runs one request; any thrown error becomes the matching SFTP status. */
  const serve = (reqid: number, work: () => Promise<void>): void => {
    work().catch((error: NodeJS.ErrnoException) => sftp.status(reqid, statusOf(error), error.message));
  };
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);
  const badHandle = (reqid: number) => sftp.status(reqid, STATUS_CODE.FAILURE, 'invalid handle');

  sftp.on('OPEN', (reqid, filename, flags, attrs) =>
    serve(reqid, async () => {
      const mode = openFlags(flags);
      if (mode === undefined)
        return void sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, `unsupported open flags ${flags}`);
      const file = await open(fs.local(filename), mode, attrs.mode ?? 0o644);
      if ((await file.stat()).isDirectory()) {
        await file.close();
        return void sftp.status(reqid, STATUS_CODE.FAILURE, `${filename} is a directory`);
      }
      sftp.handle(reqid, newHandle({ kind: 'file', file }));
    }),
  );

  sftp.on('READ', (reqid, buffer, offset, length) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (handle?.kind !== 'file') return badHandle(reqid);
      const data = Buffer.alloc(length);
      const { bytesRead } = await handle.file.read(data, 0, length, offset);
      if (bytesRead === 0) return void sftp.status(reqid, STATUS_CODE.EOF);
      sftp.data(reqid, data.subarray(0, bytesRead));
    }),
  );

  sftp.on('WRITE', (reqid, buffer, offset, data) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (handle?.kind !== 'file') return badHandle(reqid);
      await handle.file.write(data, 0, data.length, offset);
      ok(reqid);
    }),
  );

  sftp.on('CLOSE', (reqid, buffer) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (!handle) return badHandle(reqid);
      handles.delete(buffer.readUInt32BE(0));
      if (handle.kind === 'file') await handle.file.close();
      ok(reqid);
    }),
  );

  sftp.on('FSTAT', (reqid, buffer) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (handle?.kind !== 'file') return badHandle(reqid);
      sftp.attrs(reqid, attributes(await handle.file.stat()));
    }),
  );

  sftp.on('FSETSTAT', (reqid, buffer, attrs) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (handle?.kind !== 'file') return badHandle(reqid);
      if (attrs.mode !== undefined) await handle.file.chmod(attrs.mode & 0o7777);
      if (attrs.size !== undefined) await handle.file.truncate(attrs.size);
      if (attrs.atime !== undefined && attrs.mtime !== undefined) await handle.file.utimes(attrs.atime, attrs.mtime);
      ok(reqid);
    }),
  );

  sftp.on('STAT', (reqid, path) => serve(reqid, async () => sftp.attrs(reqid, attributes(await stat(fs.local(path))))));
  sftp.on('LSTAT', (reqid, path) =>
    serve(reqid, async () => sftp.attrs(reqid, attributes(await lstat(fs.local(path, false))))),
  );

  sftp.on('SETSTAT', (reqid, path, attrs) =>
    serve(reqid, async () => {
      await setAttributes(fs.local(path), attrs);
      ok(reqid);
    }),
  );

  sftp.on('OPENDIR', (reqid, path) =>
    serve(reqid, async () => {
      const local = fs.local(path);
      if (!(await stat(local)).isDirectory())
        return void sftp.status(reqid, STATUS_CODE.FAILURE, `${path} is not a directory`);
      const names = await readdir(local);
      const entries = await Promise.all(
        names.sort().map(async (name) => {
          const attrs = attributes(await lstat(join(local, name)));
          return { filename: name, longname: longname(name, attrs), attrs };
        }),
      );
      sftp.handle(reqid, newHandle({ kind: 'dir', entries }));
    }),
  );

  sftp.on('READDIR', (reqid, buffer) =>
    serve(reqid, async () => {
      const handle = lookup(buffer);
      if (handle?.kind !== 'dir') return badHandle(reqid);
      // Everything in one answer, then EOF, as a client reads until it gets EOF.
      if (!handle.entries || handle.entries.length === 0) return void sftp.status(reqid, STATUS_CODE.EOF);
      sftp.name(reqid, handle.entries);
      handle.entries = undefined;
    }),
  );

  sftp.on('MKDIR', (reqid, path, attrs) =>
    serve(reqid, async () => {
      await mkdir(fs.local(path), { mode: attrs.mode ?? 0o755 });
      ok(reqid);
    }),
  );

  sftp.on('RMDIR', (reqid, path) =>
    serve(reqid, async () => {
      if (fs.normalize(path) === '/') return void sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, 'cannot remove /');
      await rmdir(fs.local(path, false));
      ok(reqid);
    }),
  );

  sftp.on('REMOVE', (reqid, path) =>
    serve(reqid, async () => {
      await unlink(fs.local(path, false));
      ok(reqid);
    }),
  );

  sftp.on('RENAME', (reqid, from, to) =>
    serve(reqid, async () => {
      await rename(fs.local(from, false), fs.local(to, false));
      ok(reqid);
    }),
  );

  sftp.on('REALPATH', (reqid, path) =>
    serve(reqid, async () => {
      const filename = fs.normalize(path);
      sftp.name(reqid, [{ filename, longname: filename, attrs: {} as Attributes }]);
    }),
  );

  sftp.on('READLINK', (reqid, path) =>
    serve(reqid, async () => {
      const local = fs.local(path, false);
      const target = await readlink(local);
      const shown = target.startsWith('/') ? (fs.remote(target) ?? target) : target;
      sftp.name(reqid, [{ filename: shown, longname: shown, attrs: {} as Attributes }]);
    }),
  );

  sftp.on('SYMLINK', (reqid) =>
    sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, 'symbolic links are not supported here'),
  );

  sftp.on('end', () => {
    for (const handle of handles.values()) if (handle.kind === 'file') void handle.file.close().catch(() => {});
    handles.clear();
    // The client sent EOF (sftp -b at the end of its batch, scp when done): sftp-server exits 0 and
    // the channel closes, or the client waits forever; scp also fails without that exit status.
    // ssh2's server-side SFTP stream has no exit(), so the status goes out through its protocol.
    const channel = sftp as unknown as {
      outgoing: { id: number; state: string };
      _protocol: { exitStatus(id: number, status: number): void };
    };
    if (channel.outgoing.state === 'open') channel._protocol.exitStatus(channel.outgoing.id, 0);
    sftp.end();
  });
}

/**
 * SSH_FXF_* open flags as open(2) flags, every combination sftp-server accepts (OpenSSH's scp
 * opens its target WRITE|CREAT and truncates it afterwards); undefined without READ or WRITE.
 */
function openFlags(flags: number): number | undefined {
  const read = (flags & OPEN_MODE.READ) !== 0;
  const write = (flags & OPEN_MODE.WRITE) !== 0;
  if (!read && !write) return undefined;
  let mode = read && write ? fsConstants.O_RDWR : write ? fsConstants.O_WRONLY : fsConstants.O_RDONLY;
  if (flags & OPEN_MODE.APPEND) mode |= fsConstants.O_APPEND;
  if (flags & OPEN_MODE.CREAT) mode |= fsConstants.O_CREAT;
  if (flags & OPEN_MODE.TRUNC) mode |= fsConstants.O_TRUNC;
  if (flags & OPEN_MODE.EXCL) mode |= fsConstants.O_EXCL;
  return mode;
}

async function setAttributes(local: string, attrs: InputAttributes): Promise<void> {
  if (attrs.mode !== undefined) await chmod(local, Number(attrs.mode) & 0o7777);
  if (attrs.size !== undefined) await truncate(local, attrs.size);
  if (attrs.atime !== undefined && attrs.mtime !== undefined) await utimes(local, attrs.atime, attrs.mtime);
}

/** The simulated hosts are single-user: every file belongs to root. */
function attributes(stats: Stats): Attributes {
  return {
    mode: stats.mode,
    uid: 0,
    gid: 0,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

function longname(name: string, attrs: Attributes): string {
  const type =
    (attrs.mode & fsConstants.S_IFMT) === fsConstants.S_IFDIR
      ? 'd'
      : (attrs.mode & fsConstants.S_IFMT) === fsConstants.S_IFLNK
        ? 'l'
        : '-';
  const bits = ['r', 'w', 'x'];
  const permissions = Array.from({ length: 9 }, (_, i) => (attrs.mode & (0o400 >> i) ? bits[i % 3] : '-')).join('');
  return `${type}${permissions} 1 root root ${attrs.size} ${new Date(attrs.mtime * 1000).toISOString().slice(0, 16)} ${name}`;
}

function statusOf(error: NodeJS.ErrnoException): number {
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return STATUS_CODE.NO_SUCH_FILE;
    case 'EACCES':
    case 'EPERM':
      return STATUS_CODE.PERMISSION_DENIED;
    default:
      return STATUS_CODE.FAILURE;
  }
}
