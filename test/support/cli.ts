/** Running the `runbook` CLI as a process against a test server, and waiting on a condition. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A function that runs `node bin/runbook.js …` with `env`; it never throws on a non-zero exit. */
export function cliRunner(env: () => Record<string, string>) {
  return async (...args: string[]) => {
    const result = await execa('node', [path.join(REPO, 'bin/runbook.js'), ...args], {
      cwd: REPO,
      env: { ...env(), NO_COLOR: '1' },
      reject: false,
    });
    return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };
}

/** Polls `check` until it returns a value. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
