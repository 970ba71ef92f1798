/**
 * `openshift-install gather bootstrap` of the simulated installer: as the real one, it needs the
 * bootstrap node's address (`--bootstrap`), takes the masters' (`--master`, repeated) and an SSH key
 * (`--key`, else the ssh-agent's), "connects" to the bootstrap node and writes
 * `<dir>/log-bundle-<YYYYMMDDhhmmss>.tar.gz`, whose folder has the real bundle's layout:
 * `bootstrap/journals/` (bootkube, kubelet, crio, openshift), `bootstrap/containers/`,
 * `bootstrap/services/`, `control-plane/<master ip>/journals/`, `resources/`, `rendered-assets/`,
 * `failed-units.txt` and `gather.log`. The contents are what the simulated lab knows: each node's boot
 * state and why it is stuck, the API's and the bootstrap's progress, the Node objects.
 *
 * Simulated: the SSH connection. The bootstrap node "answers SSH" while the simulated lab says it
 * runs (its admin endpoint `/simulator/nodes`); otherwise the command fails as the real one does when
 * port 22 does not answer. The tarball is made by the system's `tar`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { apiRequest, type Credential } from '../control-plane/api-client.js';
import type { KubeconfigUser } from './assets.js';
import type { SimTarget } from './main.js';

/** The simulated lab's node states (simulator/lab-sim.ts serves them; kept literal to load little). */
const NODES_ROUTE = '/simulator/nodes';

export interface GatherOptions {
  dir: string;
  bootstrap: string | undefined;
  masters: string[];
  /** The simulated lab, as `readTarget` (./main.ts) read it from its endpoints file. */
  target: Pick<SimTarget, 'api' | 'admin'>;
  log: (level: 'info' | 'warning' | 'fatal', message: string) => void;
}

export class GatherError extends Error {}

interface NodesReply {
  apiUp: boolean;
  bootstrapComplete: boolean;
  nodes: Record<string, { state: string; reason?: string }>;
  addresses?: Record<string, string>;
}

/** `20060102150405`, the real installer's bundle timestamp. */
function stamp(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

export async function gatherBootstrap(options: GatherOptions): Promise<string> {
  const { bootstrap, log } = options;
  if (!bootstrap) throw new GatherError('must provide a bootstrap host address (--bootstrap)');
  const { api, admin } = options.target;
  if (!admin) throw new GatherError('the endpoints file names no admin endpoint: start the simulated lab again');
  const reply = await apiRequest(
    { url: admin.url, caPem: admin.caPem, credential: { token: admin.token } },
    'GET',
    NODES_ROUTE,
    {
      what: 'the simulated lab admin endpoint',
    },
  );
  const lab = reply.body as NodesReply;
  const nameOf = (ip: string) => lab.addresses?.[ip];
  const bootstrapName = nameOf(bootstrap);
  if (!bootstrapName || lab.nodes[bootstrapName]?.state !== 'running')
    throw new GatherError(
      `failed to gather bootstrap logs: failed to create SSH client: dial tcp ${bootstrap}:22: connect: ` +
        `${bootstrapName ? 'connection refused' : 'no route to host'}`,
    );
  log('info', 'Pulling debug logs from the bootstrap machine');
  const name = `log-bundle-${stamp(new Date())}`;
  const work = await mkdtemp(path.join(os.tmpdir(), 'openshift-install-gather-'));
  try {
    const root = path.join(work, name);
    const write = async (relative: string, text: string) => {
      const file = path.join(root, relative);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    };
    const at = new Date().toISOString();
    const progress = `${at} bootkube: the API ${lab.apiUp ? 'is up' : 'is not up yet'}; bootstrap ${
      lab.bootstrapComplete ? 'complete' : 'not complete'
    } (simulated)\n`;
    await write('bootstrap/journals/bootkube.log', progress);
    await write('bootstrap/journals/kubelet.log', `${at} kubelet on ${bootstrapName}: running (simulated)\n`);
    await write('bootstrap/journals/crio.log', `${at} crio on ${bootstrapName}: running (simulated)\n`);
    await write('bootstrap/journals/openshift.log', progress);
    for (const folder of ['bootstrap/containers', 'bootstrap/services', 'rendered-assets'])
      await mkdir(path.join(root, folder), { recursive: true });
    for (const ip of options.masters) {
      const master = nameOf(ip);
      const state = master ? lab.nodes[master] : undefined;
      await write(
        `control-plane/${ip}/journals/kubelet.log`,
        `${at} ${master ?? ip}: ${state ? `${state.state}${state.reason ? `: ${state.reason}` : ''}` : 'not in the lab'} (simulated)\n`,
      );
    }
    const nodes = await apiRequest(
      { url: api.url, caPem: api.caPem, credential: credentialOf(api.user) },
      'GET',
      '/api/v1/nodes',
      {
        what: 'the simulated API server',
      },
    ).catch((error: unknown) => ({ status: 0, body: { error: (error as Error).message } }));
    await write('resources/nodes.json', `${JSON.stringify(nodes.body, null, 2)}\n`);
    await write('failed-units.txt', '0 loaded units listed.\n');
    await write('gather.log', `Gathering bootstrap journals ...\nGathering rendered assets ...\n`);
    const bundle = path.join(path.resolve(options.dir), `${name}.tar.gz`);
    await execa('tar', ['-czf', bundle, '-C', work, name]);
    return bundle;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The kubeconfig user as the API client takes it: a bearer token, or a client certificate and key. */
function credentialOf(user: KubeconfigUser): Credential {
  return 'token' in user
    ? { token: user.token }
    : {
        certPem: Buffer.from(user['client-certificate-data'], 'base64').toString(),
        keyPem: Buffer.from(user['client-key-data'], 'base64').toString(),
      };
}
