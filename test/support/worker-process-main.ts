/**
 * The product's runbook worker (`runWorker`: the catalogue's workflows, every step activity, the lab
 * queues of `--lab`) as a separate process, for tests that SIGKILL it; what `runbook worker --lab L`
 * runs, but from a workflow bundle written once by the test, so that each new process starts at once:
 *
 *   node --import tsx test/support/worker-process-main.ts --address 127.0.0.1:7233 --bundle FILE \
 *     [--namespace default] [--task-queue q] [--lab intra]…
 *
 * Prints `ready` on stdout once it polls.
 */
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { installWorkerRuntime, runWorker } from '../../worker/worker.js';
import { TASK_QUEUE } from '../../workflows/engine/api.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    'task-queue': { type: 'string', default: TASK_QUEUE },
    lab: { type: 'string', multiple: true, default: [] },
    bundle: { type: 'string' },
  },
});
if (!values.address || !values.bundle) {
  process.stderr.write(
    'usage: worker-process-main.ts --address HOST:PORT --bundle FILE [--namespace N] [--task-queue Q] [--lab L]…\n',
  );
  process.exit(2);
}

installWorkerRuntime({ logLevel: 'WARN' });
const connection = await NativeConnection.connect({ address: values.address });
await runWorker({
  connection,
  namespace: values.namespace,
  taskQueue: values['task-queue'],
  labs: values.lab,
  workflowBundle: { codePath: values.bundle },
  onReady: () => process.stdout.write('ready\n'),
});
await connection.close();
