/**
 * The simulated RHCOS mirror serves, for any release generation, exactly the files `bootAssetsFor`
 * lists, in the lab mirror's folder, with a sha256sum.txt that is right for what it serves.
 */
import { afterEach, beforeAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseSha256Sums } from '../../activities/install/boot-assets.js';
import { loadLab } from '../../lab/load.js';
import type { Lab } from '../../lab/schema.js';
import { bootAssetsFor } from '../../render/boot-assets.js';
import { startRehearsalMirror, type RehearsalMirror } from '../../simulator/mirror.js';

let base: Lab;
const started: RehearsalMirror[] = [];

beforeAll(async () => {
  base = await loadLab(fileURLToPath(new URL('../../runbooks/labs/example-4.2-sdn.yaml', import.meta.url)));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((mirror) => mirror.stop()));
});

function labAt(cluster: Partial<Lab['cluster']>): Lab {
  const lab = structuredClone(base);
  Object.assign(lab.cluster, cluster);
  return lab;
}

async function start(lab: Lab): Promise<RehearsalMirror> {
  const mirror = await startRehearsalMirror({ lab });
  started.push(mirror);
  return mirror;
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
};

test.each([
  ['4.2 (split metal images)', { version: '4.2.0', rhcosVersion: '4.2.0' }, 4],
  ['4.5 (one metal image)', { version: '4.5.6', rhcosVersion: '4.5.6' }, 3],
  ['4.6 (live kernel, initramfs, rootfs)', { version: '4.6.1', rhcosVersion: '4.6.1' }, 3],
  ['4.6 on aarch64', { version: '4.6.1', rhcosVersion: '4.6.1', architecture: 'aarch64' as const }, 3],
  ['4.6 by build id', { version: '4.6.1', rhcosVersion: '46.82.202008181646-0' }, 3],
])('%s: every listed file, at the lab mirror path, with a correct sha256sum.txt', async (_name, cluster, count) => {
  const lab = labAt(cluster);
  const mirror = await start(lab);
  const assets = bootAssetsFor(lab);
  expect(new URL(mirror.url).pathname).toBe(new URL(assets.mirror).pathname);
  expect(assets.assets).toHaveLength(count);
  const list = await get(`${mirror.url}sha256sum.txt`);
  expect(list.status).toBe(200);
  const sums = parseSha256Sums(list.body.toString('utf8'));
  expect([...sums.keys()]).toEqual(assets.assets.map((asset) => asset.file));
  for (const asset of assets.assets) {
    const served = await get(`${mirror.url}${asset.file}`);
    expect(served.status).toBe(200);
    expect(served.body.toString('utf8')).toMatch(
      new RegExp(`^stand-in ${asset.file.replace(/\./g, '\\.')} for rehearsals\n`),
    );
    expect(createHash('sha256').update(served.body).digest('hex')).toBe(sums.get(asset.file));
  }
});

test('stand-ins are the same from one start to the next; a corrupted one keeps its listed sum', async () => {
  const [first, second] = [await start(base), await start(base)];
  const file = bootAssetsFor(base).assets[0]!.file;
  const body = (await get(`${first.url}${file}`)).body;
  expect((await get(`${second.url}${file}`)).body.equals(body)).toBe(true);
  first.corrupt(file);
  const damaged = (await get(`${first.url}${file}`)).body;
  expect(damaged.length).toBe(body.length);
  expect(damaged.equals(body)).toBe(false);
  expect((await get(`${first.url}sha256sum.txt`)).body.equals((await get(`${second.url}sha256sum.txt`)).body)).toBe(
    true,
  );
  first.repair();
  expect((await get(`${first.url}${file}`)).body.equals(body)).toBe(true);
  expect(() => first.corrupt('rhcos-9.9-nothing')).toThrow(/serves no rhcos-9\.9-nothing/);
});

test('anything else is 404, and only GET and HEAD are answered', async () => {
  const mirror = await start(base);
  expect((await get(`${mirror.url}rhcos-4.2.0-x86_64-live-rootfs.x86_64.img`)).status).toBe(404);
  expect((await get(new URL('/etc/passwd', mirror.url).href)).status).toBe(404);
  expect((await fetch(`${mirror.url}sha256sum.txt`, { method: 'POST' })).status).toBe(405);
  const head = await fetch(`${mirror.url}sha256sum.txt`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(Number(head.headers.get('content-length'))).toBe(mirror.files.get('sha256sum.txt')!.length);
});
