#!/usr/bin/env node
// The `runbook` command. The sources are TypeScript; tsx compiles them on load, so there is no build step.
//
// Node.js 22.19 or newer is needed. On an older node (a machine whose distribution ships Node 20) the
// command re-runs itself on the Node that `scripts/install-deps.sh` put in .tools/, if there is one.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OLDEST = [22, 19];
const [major, minor] = process.versions.node.split('.').map(Number);
const supported = major > OLDEST[0] || (major === OLDEST[0] && minor >= OLDEST[1]);

if (supported) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else {
  const tools = join(dirname(fileURLToPath(import.meta.url)), '..', '.tools');
  const candidates = existsSync(tools)
    ? readdirSync(tools)
        .filter((name) => /^node-\d+\.\d+\.\d+$/.test(name))
        .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
        .map((name) => join(tools, name, 'bin', 'node'))
        .filter((path) => existsSync(path))
    : [];
  if (candidates.length === 0) {
    process.stderr.write(
      `error: runbook needs Node.js ${OLDEST.join('.')} or newer; this is ${process.version}.\n` +
        '  Run `bash scripts/install-deps.sh` (it brings Node 24 into .tools/), or install Node.js 24 LTS\n' +
        "  (your distribution's nodejs module, nvm, or nodejs.org).\n",
    );
    process.exit(2);
  }
  const child = spawn(candidates[0], [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; signals sent to this process alone
  // are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
