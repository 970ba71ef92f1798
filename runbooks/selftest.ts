/**
 * `selftest`: checks a worker and server setup end to end without touching the lab: two actions, a
 * resumable wait, one no-op per helper host and, with `--option gate=true`, an operator gate.
 *
 *   runbook start selftest --lab runbooks/labs/example.yaml --follow
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, condition, forEach, gate, optionOn, wait } from './steps.js';

export const selftestRunbook = defineRunbook({
  name: 'selftest',
  title: 'Engine self-test',
  description:
    'Runs no-op steps of every kind to show that the worker, the Temporal server and the engine work together.',
  steps: [
    action('worker.check', 'Reach a worker', 'selftestCheckWorker'),
    action('worker.state-folder', 'Report the free space of the worker’s state folder', 'selftestStateFolder'),
    action('engine.converge', 'Converge an in-memory marker', 'selftestConverge'),
    wait('engine.wait', 'Wait for three polls', 'selftestWait', {
      deadline: '1m',
      pollInterval: '1s',
      params: { polls: 3 },
    }),
    forEach('hosts.visit', 'Visit each helper host', {
      items: (lab) => lab.hosts.map((host) => host.name),
      steps: [action('describe', 'Describe the host', 'selftestHost')],
    }),
    gate('operator.approve', 'Operator approval', {
      prompt: 'Approve to finish the self-test: this shows that gates and `runbook approve` work.',
      when: condition(
        'option gate is off (start the run with --option gate=true to include this step)',
        (_lab, input) => optionOn(input, 'gate'),
      ),
    }),
    action('engine.converge-again', 'Converge the marker again (unchanged)', 'selftestConverge', {
      params: { marker: 'engine.converge' },
    }),
  ],
});
