/**
 * The simulated lab's RHCOS mirror: an HTTP server on loopback that serves, for the lab's release,
 * every file `bootAssetsFor` lists (small deterministic stand-ins under the real names) and a
 * sha256sum.txt that lists them, in the folder the lab's mirror has them (the public mirror's path by
 * default). Rehearsals download the boot assets from here instead of the lab's mirror.
 *
 * `corrupt(file)` makes it answer a damaged copy of a file while its sha256sum.txt stays as it was, as
 * a mirror mid-sync or a broken proxy does.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Lab } from '../lab/schema.js';
import { bootAssetsFor } from '../render/boot-assets.js';
import type { SimLogger } from './context.js';

/** Size of a stand-in: a few KiB, recognisable in a hex dump and quick to hash. */
const STAND_IN_BYTES = 8 * 1024;

/** The stand-in content of a mirror file: its name in a header line, then numbered filler lines. */
export function standInContent(file: string): Buffer {
  const lines = [`stand-in ${file} for rehearsals\n`];
  let size = lines[0]!.length;
  for (let block = 1; size < STAND_IN_BYTES; block++) {
    const line = `${file} block ${block} ${createHash('sha256').update(`${file}:${block}`).digest('hex')}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''), 'utf8');
}

export function sha256Hex(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The mirror's files for the lab's release: name → content, in boot order. */
export function standInAssets(lab: Pick<Lab, 'cluster' | 'nodes' | 'hosts'>): Map<string, Buffer> {
  return new Map(bootAssetsFor(lab).assets.map((asset) => [asset.file, standInContent(asset.file)]));
}

/** A sha256sum.txt for `files`, in `sha256sum`'s own format. */
export function sha256SumList(files: ReadonlyMap<string, Buffer>): string {
  return [...files].map(([name, content]) => `${sha256Hex(content)}  ${name}\n`).join('');
}

export interface RehearsalMirror {
  /** The RHCOS folder, ending in `/` (what a lab's `cluster.rhcosMirror` would be). */
  url: string;
  /** What it serves: file name → content (sha256sum.txt included). */
  files: ReadonlyMap<string, Buffer>;
  /** Paths requested so far (`GET /pub/…/rhcos-…`), to tell whether anything was downloaded. */
  requests: string[];
  /** Serve a damaged copy of `file` (same length, one byte changed) until `repair()`. */
  corrupt(file: string): void;
  repair(): void;
  stop(): Promise<void>;
}

export interface RehearsalMirrorOptions {
  lab: Pick<Lab, 'cluster' | 'nodes' | 'hosts'>;
  /** 0 or absent picks a free port. */
  port?: number;
  log?: SimLogger;
}

function damaged(content: Buffer): Buffer {
  const copy = Buffer.from(content);
  const middle = Math.floor(copy.length / 2);
  copy[middle] = copy[middle]! ^ 0xff;
  return copy;
}

export async function startRehearsalMirror(options: RehearsalMirrorOptions): Promise<RehearsalMirror> {
  const assets = standInAssets(options.lab);
  const files = new Map([...assets, ['sha256sum.txt', Buffer.from(sha256SumList(assets), 'utf8')]]);
  // The folder path of the lab's mirror, so URLs read like the real ones.
  const folder = new URL(bootAssetsFor(options.lab).mirror).pathname;
  const corrupted = new Set<string>();
  const requests: string[] = [];

  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://mirror').pathname);
    requests.push(`${request.method ?? 'GET'} ${path}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    const name = path.startsWith(folder) ? path.slice(folder.length) : undefined;
    const content = name === undefined ? undefined : files.get(name);
    if (name === undefined || content === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found\n');
      return;
    }
    const body = corrupted.has(name) ? damaged(content) : content;
    response.writeHead(200, {
      'Content-Type': name.endsWith('.txt') ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'Content-Length': body.length,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://127.0.0.1:${port}${folder}`;
  options.log?.info(`RHCOS mirror serves ${assets.size} stand-in files at ${url}`);
  return {
    url,
    files,
    requests,
    corrupt: (file) => {
      if (!assets.has(file)) throw new Error(`the mirror serves no ${file} (it has ${[...assets.keys()].join(', ')})`);
      corrupted.add(file);
    },
    repair: () => corrupted.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
