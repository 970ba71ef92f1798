/**
 * The supported Node.js: what package.json "devEngines" promises is what the tests run on, and the
 * `runbook` command started by an older node (a distribution's Node 20) re-runs itself on the Node
 * that scripts/install-deps.sh put in .tools/, or says how to get one; `npx runbook` on it prints
 * no npm warning first.
 */
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');

function parse(version: string): number[] {
  return version.replace(/^v/, '').split('.').map(Number);
}

function atLeast(version: string, oldest: string): boolean {
  const [a, b] = [parse(version), parse(oldest)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

async function oldestSupported(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as {
    devEngines: { runtime: { name: string; version: string } };
  };
  const { name, version } = pkg.devEngines.runtime;
  const match = /^>=(\d+\.\d+\.\d+)$/.exec(version);
  if (name !== 'node' || !match?.[1])
    throw new Error(`package.json devEngines.runtime is ${name} "${version}", expected node ">=x.y.z"`);
  return match[1];
}

/** A node older than the oldest supported one, if the machine has one (Debian's, on these machines). */
async function olderNode(): Promise<string | undefined> {
  const oldest = await oldestSupported();
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const { stdout } = await execa(candidate, ['--version']);
    if (!atLeast(stdout.trim(), oldest)) return candidate;
  }
  return undefined;
}

const older = await olderNode();
// Machines of this project's kind ship Debian's Node 20; elsewhere there may be no older node to try.
const withOlderNode = older ? it : it.skip;
// Its npx (Debian's npm package), when the machine has one.
const withOlderNpx = older && existsSync(path.join(path.dirname(older), 'npx')) ? it : it.skip;

describe('the Node.js runtime', () => {
  it('is one that package.json "devEngines" supports', async () => {
    expect({ node: process.version, supported: atLeast(process.version, await oldestSupported()) }).toEqual({
      node: process.version,
      supported: true,
    });
  });

  it('scripts/node-runtime.sh puts the requested version first on PATH and checks it', async () => {
    const version = process.versions.node;
    if (!existsSync(path.join(repo, '.tools', `node-${version}`, 'bin', 'node'))) {
      // Running on a node the script did not install (a developer's own Node 24): nothing to check here.
      expect(atLeast(version, await oldestSupported())).toBe(true);
      return;
    }
    const { stdout } = await execa(
      'bash',
      ['-c', 'source scripts/node-runtime.sh && command -v node && node --version'],
      {
        cwd: repo,
        env: { NODE_RUNTIME_VERSION: version },
      },
    );
    expect(stdout.trim().split('\n')).toEqual([
      path.join(repo, '.tools', `node-${version}`, 'bin', 'node'),
      `v${version}`,
    ]);
  });

  withOlderNode('runbook started by an older node runs on the one in .tools/', async () => {
    const { stdout, exitCode } = await execa(older!, ['bin/runbook.js', 'list-runbooks', '--json'], {
      cwd: repo,
      reject: false,
    });
    expect(exitCode).toBe(0);
    const names = (JSON.parse(stdout) as Array<{ name: string }>).map((runbook) => runbook.name);
    expect(names).toContain('preflight');
  });

  withOlderNpx(
    'npx runbook on an older node, the first time (a newcomer): no npm warning, then the command',
    async () => {
      // The older node's own npx, with an npm cache of its own (empty: npx links the project into it
      // the first time, where npm used to check the engines and warn), offline: nothing is downloaded.
      const cache = await mkdtemp(path.join(os.tmpdir(), 'runbook-npx-'));
      try {
        const bin = path.dirname(older!);
        const result = await execa(path.join(bin, 'npx'), ['runbook', 'list-runbooks', '--json'], {
          cwd: repo,
          env: { PATH: `${bin}:/usr/bin:/bin`, npm_config_cache: cache, npm_config_offline: 'true' },
          extendEnv: false,
          reject: false,
        });
        expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
        expect((JSON.parse(result.stdout) as Array<{ name: string }>).map((runbook) => runbook.name)).toContain(
          'install',
        );
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    },
  );

  withOlderNode('runbook started by an older node with no .tools/ says how to get a supported one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-node-'));
    try {
      await mkdir(path.join(dir, 'bin'));
      await copyFile(path.join(repo, 'bin', 'runbook.js'), path.join(dir, 'bin', 'runbook.js'));
      const result = await execa(older!, [path.join(dir, 'bin', 'runbook.js'), 'list-runbooks'], { reject: false });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('runbook needs Node.js 22.19 or newer');
      expect(result.stderr).toContain('bash scripts/install-deps.sh');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
