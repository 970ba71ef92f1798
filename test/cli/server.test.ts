/**
 * `runbook server`: the dev server in the foreground on the ports asked for, with the project's search
 * attributes, state kept in the state file across restarts, and a clean stop on Ctrl-C (SIGINT).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { ExitCode } from '../../cli/errors.js';
import { searchAttributeList } from '../../workflows/engine/api.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Starts `runbook server --json` and resolves with its first stdout line (printed once it is ready). */
async function startServer(args: string[]): Promise<{ child: ResultPromise; ready: Record<string, string> }> {
  const child = execa('node', [path.join(repo, 'bin/runbook.js'), 'server', '--json', ...args], {
    cwd: repo,
    reject: false,
    buffer: false,
    stderr: 'ignore',
    // The test asks for a clean stop and waits for it: no SIGKILL 5 s later on a loaded machine.
    forceKillAfterDelay: false,
  });
  cleanup.push(async () => {
    if (child.nodeChildProcess.exitCode === null) child.kill('SIGKILL');
    await child;
  });
  let text = '';
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      // --json prints one pretty-printed object once the server answers.
      if (text.trimEnd().endsWith('}')) resolve(JSON.parse(text));
    });
    void child.then((result) => reject(new Error(`runbook server exited early (${result.exitCode})`)));
  });
  return { child, ready };
}

describe('runbook server', () => {
  it('serves on the given loopback ports, keeps runs in its state file, and stops on Ctrl-C', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-server-'));
    cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
    const port = await getPort({ host: '127.0.0.1' });
    const uiPort = await getPort({ host: '127.0.0.1', exclude: [port] });
    const args = ['--port', String(port), '--ui-port', String(uiPort), '--state-dir', stateDir];

    const first = await startServer(args);
    expect(first.ready).toMatchObject({
      address: `127.0.0.1:${port}`,
      namespace: 'default',
      uiUrl: `http://127.0.0.1:${uiPort}`,
      stateFile: path.join(stateDir, 'temporal.db'),
    });
    await stat(path.join(stateDir, 'temporal.db'));
    let connection = await Connection.connect({ address: first.ready.address! });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const { name } of searchAttributeList) expect(Object.keys(customAttributes ?? {})).toContain(name);
    // A workflow nobody runs: it only has to survive the restart.
    await new Client({ connection }).workflow.start('selftest', {
      taskQueue: 'nobody',
      workflowId: 'kept/across-restart',
      args: [],
    });
    await connection.close();

    // A second server on the same port is refused with what to do.
    const busy = await execa('node', [path.join(repo, 'bin/runbook.js'), 'server', ...args], {
      cwd: repo,
      reject: false,
    });
    expect(busy.exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(busy.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is in use`));

    first.child.kill('SIGINT');
    expect((await first.child).exitCode).toBe(ExitCode.OK);

    const second = await startServer(args);
    connection = await Connection.connect({ address: second.ready.address! });
    const description = await new Client({ connection }).workflow.getHandle('kept/across-restart').describe();
    expect(description.status.name).toBe('RUNNING');
    await connection.close();
    second.child.kill('SIGTERM');
    expect((await second.child).exitCode).toBe(ExitCode.OK);
  });
});
