/** `runbook render` end to end: the real CLI process, the example lab, a temp output folder. */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { exampleLabPath, repoRoot } from './example.js';

const dir = await mkdtemp(join(tmpdir(), 'runbook-render-cli-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const runbook = (args: string[]) =>
  execa('node', [join(repoRoot, 'bin', 'runbook.js'), ...args], { reject: false, cwd: dir });

describe('runbook render', () => {
  test('writes one artifact group and reports it as JSON', async () => {
    const out = join(dir, 'out');
    const result = await runbook(['render', '--lab', exampleLabPath, '--out', out, '--only', 'install', '--json']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as {
      outDir: string;
      files: Array<{ path: string; mode: number; secrets: string[] }>;
    };
    expect(report.outDir).toBe(out);
    expect(report.files.map((file) => file.path)).toEqual([
      'install/install-config.yaml',
      'install/manifests/cluster-scheduler-02-config.yml',
    ]);
    expect(report.files[0]?.secrets).toEqual([
      expect.stringMatching(/^file:\/.*pull-secret\.json$/),
      expect.stringMatching(/^file:\/.*id_ed25519\.pub$/),
    ]);
    expect(await readdir(join(out, 'install'))).toEqual(['install-config.yaml', 'manifests']);
    expect((await stat(join(out, 'install', 'install-config.yaml'))).mode & 0o777).toBe(0o600);
  }, 30_000);

  test('an --only that selects no file of the lab is an error naming what the lab renders', async () => {
    // One domain for nodes and cluster: the cluster's records live in the forward zone, so there is
    // no dns.cluster-zone file to write.
    const sameDomain = join(dir, 'same-domain.yaml');
    const example = await readFile(exampleLabPath, 'utf8');
    await writeFile(
      sameDomain,
      example
        .replace('nodesDomain: nodes.example.com', 'nodesDomain: intra.example.com')
        .replace('searchDomains: [nodes.example.com, intra.example.com]', 'searchDomains: [intra.example.com]')
        .replaceAll('file:example-secrets/', `file:${join(repoRoot, 'runbooks', 'labs', 'example-secrets')}/`),
    );
    const out = join(dir, 'cluster-zone');
    const result = await runbook(['render', '--lab', sameDomain, '--out', out, '--only', 'dns.cluster-zone']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('"dns.cluster-zone" selects no file of this lab');
    expect(result.stderr).toContain("the cluster's records are in dns.forward-zone");
    expect(result.stderr).toMatch(
      /this lab renders dns\.forward-zone, dns\.reverse-zone, dns\.zones-conf, dhcp\.config/,
    );
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);

  test('an unknown artifact is an error naming the groups, and nothing is written', async () => {
    const out = join(dir, 'unknown');
    const result = await runbook(['render', '--lab', exampleLabPath, '--out', out, '--only', 'bind']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('unknown artifact "bind": use one of dns, dhcp, pxe');
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
