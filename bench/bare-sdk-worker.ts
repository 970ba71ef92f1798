/**
 * The bare SDK reference worker as a process of its own, as the engine's (testing/engine-worker-main.ts):
 *
 *   node --import tsx bench/bare-sdk-worker.ts --address 127.0.0.1:7233 --task-queue q --bundle FILE
 *
 * Runs bench/bare-sdk-workflow.ts from a bundle written by the bench, with the runbook worker's task-queue
 * tuning (worker/defaults.ts) and nothing of the engine. Prints `ready` on stdout once it polls.
 */
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { DEFAULT_SHUTDOWN_GRACE_TIME, RUNBOOK_QUEUE_TUNING } from '../worker/defaults.js';
import * as activities from './bare-sdk-activities.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    'task-queue': { type: 'string' },
    bundle: { type: 'string' },
  },
});
if (!values.address || !values['task-queue'] || !values.bundle) {
  process.stderr.write('usage: bare-sdk-worker.ts --address HOST:PORT --task-queue Q --bundle FILE [--namespace N]\n');
  process.exit(2);
}

// The same log level as the engine's worker process (installWorkerRuntime({ logLevel: 'WARN' })).
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: values.address });
const worker = await Worker.create({
  connection,
  namespace: values.namespace,
  taskQueue: values['task-queue'],
  workflowBundle: { codePath: values.bundle },
  activities,
  shutdownGraceTime: DEFAULT_SHUTDOWN_GRACE_TIME,
  ...RUNBOOK_QUEUE_TUNING,
});
const running = worker.run();
process.stdout.write('ready\n');
await running;
await connection.close();
