/**
 * Bundles a workflows entry point in a process of its own and writes the bundle to a file:
 *
 *   node --import tsx worker/bundle-main.ts <workflows entry> <bundle file>
 *
 * `runbook worker` runs it (worker.ts `bundleInChildProcess`): webpack keeps some 170 MB of the worker's
 * memory after a bundle in its own process, memory a long-running worker would never give back.
 */
import { writeFile } from 'node:fs/promises';
import { bundleRunbookWorkflows } from './worker.js';

const [workflowsPath, bundleFile] = process.argv.slice(2);
if (!workflowsPath || !bundleFile) {
  process.stderr.write('usage: bundle-main.ts <workflows entry> <bundle file>\n');
  process.exit(2);
}
const { code } = (await bundleRunbookWorkflows(workflowsPath)) as { code: string };
await writeFile(bundleFile, code);
