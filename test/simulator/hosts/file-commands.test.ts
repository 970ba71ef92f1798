/**
 * The file commands of a simulated helper host, over SSH as runbooks send them: curl reaches only
 * loopback (anything else fails as a host without a route: exit 7), and answers HTTP errors, writes
 * and redirects as curl does; sha256sum, mv and rm -f act on the host's own root with coreutils'
 * exit codes and messages; other forms are refused.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLab } from '../../../lab/load.js';
import type { Lab } from '../../../lab/schema.js';
import { SimClock } from '../../../simulator/clock.js';
import { Faults } from '../../../simulator/faults.js';
import { startSimulatedHosts, type SimulatedHosts } from '../../../simulator/hosts/index.js';
import { sha256Hex, startRehearsalMirror, type RehearsalMirror } from '../../../simulator/mirror.js';
import { SshSession } from '../../../transport/ssh.js';
import { sshTargetFor } from '../../../transport/targets.js';

let lab: Lab;
let stateDir: string;
let hosts: SimulatedHosts;
let mirror: RehearsalMirror;
let session: SshSession;
let root: string;
/** Answers 503 twice, then 200 ("third time"); `/moved` redirects to the mirror's sha256sum.txt. */
let flaky: Server;
let flakyUrl: string;
let flakyHits = 0;

beforeAll(async () => {
  lab = await loadLab(fileURLToPath(new URL('../../../runbooks/labs/example-4.2-sdn.yaml', import.meta.url)));
  stateDir = await mkdtemp(join(tmpdir(), 'runbook-file-commands-'));
  const authorizedKeys = [await readFile(lab.secrets.sshPublicKey.slice('file:'.length), 'utf8')];
  hosts = await startSimulatedHosts({ lab, stateDir, authorizedKeys, faults: new Faults(), clock: new SimClock(0) });
  mirror = await startRehearsalMirror({ lab });
  session = await SshSession.connect(sshTargetFor(lab, 'pxe', { endpoints: hosts.endpoints }));
  root = hosts.endpoints.find((endpoint) => endpoint.name === 'pxe')!.root;
  flaky = createServer((request, response) => {
    if (request.url === '/moved') {
      response.writeHead(302, { Location: `${mirror.url}sha256sum.txt` }).end();
      return;
    }
    if (request.url === '/away') {
      response.writeHead(302, { Location: 'http://10.42.253.9/file' }).end();
      return;
    }
    flakyHits++;
    if (flakyHits % 3 !== 0) response.writeHead(503).end('busy\n');
    else response.writeHead(200).end('third time\n');
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  flakyUrl = `http://127.0.0.1:${(flaky.address() as { port: number }).port}`;
});

afterAll(async () => {
  await session?.close();
  await hosts?.stop();
  await mirror?.stop();
  flaky?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const sh = (...argv: string[]) => session.exec(argv);

test('curl downloads from a loopback mirror into the host root', async () => {
  const file = 'rhcos-4.2.0-x86_64-installer-kernel';
  await expect(
    sh('curl', '-fsSL', '--retry', '3', '-o', '/srv/tftpboot/k.part', `${mirror.url}${file}`),
  ).resolves.toEqual({
    code: 0,
    stdout: '',
    stderr: '',
  });
  const content = await readFile(join(root, 'srv/tftpboot/k.part'));
  expect(content.equals(mirror.files.get(file)!)).toBe(true);
  // Without -o the body goes to stdout.
  const list = await sh('curl', '-fsSL', `${mirror.url}sha256sum.txt`);
  expect(list.stdout).toContain(`${sha256Hex(content)}  ${file}\n`);
});

test('curl to anything but loopback fails like a host without a route, and writes nothing', async () => {
  const result = await sh('curl', '-fsSL', '-o', '/tmp/x', 'https://mirror.openshift.com/pub/x');
  expect(result).toEqual({
    code: 7,
    stdout: '',
    stderr: "curl: (7) Failed to connect to mirror.openshift.com port 443 after 0 ms: Couldn't connect to server\n",
  });
  expect((await sh('curl', '-fsL', 'http://10.42.253.9:8080/x')).stderr).toBe('');
  expect((await sh('curl', '-fsL', 'http://10.42.253.9:8080/x')).code).toBe(7);
  expect(existsSync(join(root, 'tmp/x'))).toBe(false);
  // A redirect off loopback is no way out either.
  expect(await sh('curl', '-fsSL', `${flakyUrl}/away`)).toMatchObject({ code: 7 });
});

test('curl: -f turns an HTTP error into exit 22, --retry rides out 503s, -L follows loopback redirects', async () => {
  expect(await sh('curl', '-fsSL', '-o', '/tmp/none', `${mirror.url}no-such-file`)).toEqual({
    code: 22,
    stdout: '',
    stderr: 'curl: (22) The requested URL returned error: 404\n',
  });
  expect(existsSync(join(root, 'tmp/none'))).toBe(false);
  expect(await sh('curl', '-fsS', flakyUrl)).toMatchObject({ code: 22 });
  flakyHits = 0;
  expect(await sh('curl', '-fsS', '--retry', '3', flakyUrl)).toEqual({ code: 0, stdout: 'third time\n', stderr: '' });
  expect((await sh('curl', '-fsSL', `${flakyUrl}/moved`)).stdout).toBe(mirror.files.get('sha256sum.txt')!.toString());
  expect(await sh('curl', '-fsSL', '-o', '/no/such/folder/x', `${mirror.url}sha256sum.txt`)).toMatchObject({
    code: 23,
    stderr: expect.stringMatching(/^curl: \(23\) Failure writing output to destination/),
  });
});

test('sha256sum prints what coreutils prints, and exits 1 naming what it cannot read', async () => {
  await writeFile(join(root, 'srv/tftpboot/a'), 'a\n');
  const result = await sh('sha256sum', '--', '/srv/tftpboot/a', '/srv/tftpboot/missing', '/srv/tftpboot');
  expect(result).toEqual({
    code: 1,
    stdout: `${sha256Hex(Buffer.from('a\n'))}  /srv/tftpboot/a\n`,
    stderr: 'sha256sum: /srv/tftpboot/missing: No such file or directory\nsha256sum: /srv/tftpboot: Is a directory\n',
  });
});

test('mv -f -T replaces a file, refuses to replace a folder; rm -f removes files and ignores missing ones', async () => {
  await writeFile(join(root, 'srv/tftpboot/new.part'), 'new\n');
  await writeFile(join(root, 'srv/tftpboot/old'), 'old\n');
  expect(await sh('mv', '-f', '-T', '--', '/srv/tftpboot/new.part', '/srv/tftpboot/old')).toMatchObject({ code: 0 });
  expect(await readFile(join(root, 'srv/tftpboot/old'), 'utf8')).toBe('new\n');
  expect(existsSync(join(root, 'srv/tftpboot/new.part'))).toBe(false);
  expect(await sh('mv', '-f', '-T', '--', '/srv/tftpboot/old', '/var/www/html/ocp4')).toEqual({
    code: 1,
    stdout: '',
    stderr: "mv: cannot overwrite directory '/var/www/html/ocp4' with non-directory\n",
  });
  expect(await sh('mv', '/srv/tftpboot/gone', '/srv/tftpboot/x')).toMatchObject({
    code: 1,
    stderr: "mv: cannot stat '/srv/tftpboot/gone': No such file or directory\n",
  });
  expect(await sh('rm', '-f', '--', '/srv/tftpboot/old', '/srv/tftpboot/never-there')).toEqual({
    code: 0,
    stdout: '',
    stderr: '',
  });
  expect(existsSync(join(root, 'srv/tftpboot/old'))).toBe(false);
  expect(await sh('rm', '/srv/tftpboot/never-there')).toMatchObject({ code: 1 });
});

test('the host root stays the limit, and other forms are refused with the accepted ones', async () => {
  await sh('curl', '-fsSL', '-o', '/../../escaped', `${mirror.url}sha256sum.txt`);
  expect(existsSync(join(root, 'escaped'))).toBe(true);
  expect(existsSync(join(root, '..', 'escaped'))).toBe(false);
  const refused = await sh('rm', '-rf', '/');
  expect(refused.code).toBe(127);
  expect(refused.stderr).toContain('  rm [-f] [--] <file>…\n');
  expect(await sh('curl', '--upload-file', '/etc/passwd', flakyUrl)).toMatchObject({ code: 127 });
  expect(existsSync(join(root, 'srv/tftpboot'))).toBe(true);
});
