/**
 * A runbook worker as a separate process, for the tests and the bench that kill it with SIGKILL:
 *
 *   node --import tsx testing/engine-worker-main.ts --address 127.0.0.1:7233 --dir /tmp/x \
 *     [--namespace default] [--task-queue q] [--bundle /tmp/x/workflow-bundle.js] [--lab intra]…
 *
 * Prints `ready` on stdout once it polls. Registers the product and test activities; with `--lab`, it
 * serves that lab's queue too, as `runbook worker --lab` does; with `--lab-only` too, only the lab's queue
 * (activities, no workflows): a lab worker in a process of its own, as on the machine with the install folder.
 */
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { createLabWorkers, installWorkerRuntime, runWorker } from '../worker/worker.js';
import { TASK_QUEUE } from '../workflows/engine/api.js';
import { createEngineTestActivities } from './engine-activities.js';
import { ENGINE_WORKFLOWS_PATH } from './engine-harness.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    namespace: { type: 'string', default: 'default' },
    'task-queue': { type: 'string', default: TASK_QUEUE },
    dir: { type: 'string' },
    bundle: { type: 'string' },
    lab: { type: 'string', multiple: true, default: [] },
    'lab-only': { type: 'boolean', default: false },
  },
});
if (!values.address || !values.dir) {
  process.stderr.write(
    'usage: engine-worker-main.ts --address HOST:PORT --dir DIR [--namespace N] [--task-queue Q] ' +
      '[--bundle FILE] [--lab L]… [--lab-only]\n',
  );
  process.exit(2);
}

installWorkerRuntime({ logLevel: 'WARN' });
const connection = await NativeConnection.connect({ address: values.address });
if (values['lab-only']) {
  const labWorkers = await createLabWorkers({
    connection,
    namespace: values.namespace,
    taskQueue: values['task-queue'],
    labs: values.lab,
    activities: createEngineTestActivities(values.dir),
  });
  const running = Promise.all(labWorkers.map((worker) => worker.run()));
  process.stdout.write('ready\n');
  await running;
} else {
  await runWorker({
    connection,
    namespace: values.namespace,
    taskQueue: values['task-queue'],
    labs: values.lab,
    activities: createEngineTestActivities(values.dir),
    ...(values.bundle ? { workflowBundle: { codePath: values.bundle } } : { workflowsPath: ENGINE_WORKFLOWS_PATH }),
    onReady: () => process.stdout.write('ready\n'),
    onStopping: () => process.stdout.write('stopping\n'),
  });
}
await connection.close();
