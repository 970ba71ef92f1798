/**
 * How a rehearsal ends: a bad Temporal setting or a state folder that cannot be made prints its error
 * and the command exits (no worker runtime left holding the process), and the run's last notice
 * ("completed") reaches the lab's webhook before the rehearsal stops its worker.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { PostedNotice } from '../../activities/notify/index.js';
import { exampleLab, rehearsalCli, repo } from './support.js';

const { runbook, scratch } = rehearsalCli('runbook-rehearse-ends-');

/** Far beyond the seconds these commands take: only a command that never exits reaches it. */
const HANG_MS = 180_000;

describe('a rehearsal that cannot start', () => {
  test(
    'TEMPORAL_ADDRESS set but empty: the error says so, and the command exits 2',
    async () => {
      const result = await runbook(['rehearse', 'selftest', '--lab', exampleLab], { TEMPORAL_ADDRESS: '' });
      expect(result.stderr).toContain('error: TEMPORAL_ADDRESS is set but empty');
      expect(result.stderr).toContain('unset it');
      expect(result.exitCode).toBe(2);
    },
    HANG_MS,
  );

  test(
    'a state folder that cannot be made: the error is printed, and the command exits 1',
    async () => {
      const file = scratch('a-file');
      await writeFile(file, 'not a folder\n');
      const result = await runbook(['rehearse', 'selftest', '--lab', exampleLab, '--state-dir', file]);
      expect(result.stderr).toMatch(/error: .*ENOTDIR/);
      expect(result.exitCode).toBe(1);
    },
    HANG_MS,
  );
});

describe('the last notice of a rehearsal', () => {
  /** Every notice posted, with the status it was answered. */
  const received: Array<PostedNotice & { status: number }> = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const notice = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PostedNotice;
        // A receiver that refuses each notice once: its delivery needs a retry a second later, so it
        // needs the worker after the run has closed.
        const status = received.some((seen) => seen.event === notice.event) ? 204 : 500;
        received.push({ ...notice, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test(
    '"completed" is delivered before the rehearsal stops its worker and exits',
    async () => {
      // The example lab with a webhook (its secret files found where the example keeps them).
      const labsDir = path.join(repo, 'runbooks/labs');
      const text = (await readFile(exampleLab, 'utf8')).replaceAll(
        'file:example-secrets/',
        `file:${labsDir}/example-secrets/`,
      );
      const lab = scratch('notify.yaml');
      await writeFile(lab, `${text}\nnotify:\n  webhooks:\n    - name: ops\n      url: env:REHEARSAL_WEBHOOK_URL\n`);

      const result = await runbook(['rehearse', 'selftest', '--lab', lab, '--state-dir', scratch('notify')], {
        REHEARSAL_WEBHOOK_URL: url,
      });
      expect(result.exitCode).toBe(0);
      // Read once the command has exited: nothing delivers it afterwards (the worker is gone).
      expect(received.find((notice) => notice.event === 'completed' && notice.status === 204)).toMatchObject({
        runbook: 'selftest',
        workflowId: 'selftest/intra/rehearsal',
      });
    },
    HANG_MS,
  );
});
