/** The overlay helper that turns one mistake plus an example lab into a broken lab (test/lab/overlay.ts). */
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { formatPath } from '../../lab/issues.js';
import { loadLab } from '../../lab/load.js';
import { applyOverlay, materialiseOverlay, parsePath, readOverlay } from './overlay.js';

const base = [
  '# the lab',
  'nodes:',
  '  - { name: a, ip: 10.0.0.1 } # first',
  '  - { name: b, ip: 10.0.0.2 }',
  '  - { name: c, ip: 10.0.0.3 }',
  'day2:',
  '  egress:',
  '    nodeSelector: { node-role.kubernetes.io/infra: "" }',
  '  ceph: { pool: kube }',
  '',
].join('\n');

const none = { set: {}, delete: [], duplicate: {} };

describe('parsePath', () => {
  it.each([
    ['nodes[3].mac', ['nodes', 3, 'mac']],
    [
      'day2.egress.routers[0].nodeSelector["node-role.kubernetes.io/infra"]',
      ['day2', 'egress', 'routers', 0, 'nodeSelector', 'node-role.kubernetes.io/infra'],
    ],
    ['cluster', ['cluster']],
  ])('reads %s as the validator writes it', (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
    expect(formatPath(segments)).toBe(path);
  });

  it.each(['', '.nodes', 'nodes[x]', 'nodes..ip', 'a["b'])('refuses %j, saying how to write a path', (path) => {
    expect(() => parsePath(path)).toThrow(/path/);
  });
});

describe('applyOverlay', () => {
  it('leaves an empty overlay as the base, comments and layout included', () => {
    expect(applyOverlay(base, none)).toBe(base);
  });

  it('sets a value in place, keeping the other lines as they were', () => {
    const text = applyOverlay(base, { ...none, set: { 'nodes[1].ip': '10.0.0.9' } });
    expect(text.split('\n')).toEqual(base.split('\n').map((line) => line.replace('10.0.0.2', '10.0.0.9')));
  });

  it('sets a quoted key, adds a key to a map and appends one past the end of a list', () => {
    const text = applyOverlay(base, {
      ...none,
      set: {
        'day2.egress.nodeSelector["node-role.kubernetes.io/infra"]': 'true',
        'day2.ceph.userId': 'me',
        'nodes[3]': { name: 'd', ip: '10.0.0.4' },
      },
    });
    expect(parse(text)).toEqual({
      nodes: [
        { name: 'a', ip: '10.0.0.1' },
        { name: 'b', ip: '10.0.0.2' },
        { name: 'c', ip: '10.0.0.3' },
        { name: 'd', ip: '10.0.0.4' },
      ],
      day2: {
        egress: { nodeSelector: { 'node-role.kubernetes.io/infra': 'true' } },
        ceph: { pool: 'kube', userId: 'me' },
      },
    });
  });

  it('deletes by the base lab positions, so two items of one list go as named', () => {
    const text = applyOverlay(base, { ...none, delete: ['nodes[0]', 'nodes[2]', 'day2.ceph.pool'] });
    expect(parse(text)).toEqual({
      nodes: [{ name: 'b', ip: '10.0.0.2' }],
      day2: { egress: { nodeSelector: { 'node-role.kubernetes.io/infra': '' } }, ceph: {} },
    });
  });

  it('writes a key a second time, which YAML refuses', () => {
    const text = applyOverlay(base, { ...none, duplicate: { 'day2.ceph.pool': 'rbd' } });
    expect(text).toContain('{ pool: kube, pool: rbd }');
    expect(() => parse(text)).toThrow(/Map keys must be unique/);
  });

  it.each([
    [{ set: { 'cluster.name': 'x' } }, /cluster\.name: the base has no map or list/],
    [{ set: { 'nodes[5]': {} } }, /nodes\[5\]: the list has 3 items/],
    [{ delete: ['nodes[1].mac'] }, /nodes\[1\]\.mac: not in the base lab/],
    [{ delete: ['nodes[7]'] }, /nodes\[7\]: not in the base lab/],
    [{ duplicate: { 'day2.ceph.user': 'x' } }, /day2\.ceph\.user: not a key of the base lab/],
  ])('refuses %j, naming the path that does not fit the base', (overlay, message) => {
    expect(() => applyOverlay(base, { ...none, ...overlay })).toThrow(message);
  });
});

describe('overlay files', () => {
  it('refuses a malformed overlay, naming the file and the field', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'overlay-test-'));
    try {
      const file = join(folder, 'bad.yaml');
      await writeFile(file, 'mistake: nothing expected\nbase: example.yaml\nexpect: []\n');
      await expect(readOverlay(file)).rejects.toThrow(`${file}: expect:`);
      await writeFile(file, 'mistake: a typo\nbase: example.yaml\nsett: {}\nexpect: [x]\n');
      await expect(readOverlay(file)).rejects.toThrow(/sett/);
      await writeFile(file, 'mistake: [\n');
      await expect(readOverlay(file)).rejects.toThrow(`${file}: not valid YAML`);
    } finally {
      await rm(folder, { recursive: true });
    }
  });

  it('materialises an overlay as a lab file whose secret references resolve', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'overlay-test-'));
    try {
      const file = join(folder, 'renamed.yaml');
      await writeFile(file, 'mistake: none, a rename\nbase: example.yaml\nset: { name: other }\nexpect: [nothing]\n');
      const lab = await materialiseOverlay(file);
      try {
        expect((await loadLab(lab)).name).toBe('other');
        expect(await readFile(lab, 'utf8')).toContain('file:example-secrets/pull-secret.json');
      } finally {
        await rm(dirname(lab), { recursive: true });
      }
    } finally {
      await rm(folder, { recursive: true });
    }
  });
});
