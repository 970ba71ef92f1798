/**
 * `preflight`: before an install, prove the lab is reachable and sane without changing anything.
 * Every secret reference resolves on the worker; every helper host answers over SSH with the host key
 * the lab pins; the folders the install writes into exist; the services' own configuration checks
 * pass; each hypervisor knows the domains of its nodes.
 *
 *   runbook start preflight --lab lab.yaml --follow
 */
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, forEach } from './steps.js';

export const preflightRunbook = defineRunbook({
  name: 'preflight',
  title: 'Preflight checks of a lab',
  description:
    'Read-only checks before an install: secrets resolve, helper hosts answer over SSH with ' +
    'verified host keys, service folders exist, service configuration checks pass, hypervisors ' +
    'know the node domains.',
  steps: [
    action('secrets.resolve', 'Secret references resolve on the worker', 'preflightSecrets'),
    forEach('hosts', 'Check each helper host', {
      items: (lab) => lab.hosts.map((host) => host.name),
      steps: [
        action('ssh', 'Reach it over SSH with a verified host key', 'preflightSsh'),
        action('folders', 'Find the folders the install writes into', 'preflightFolders'),
        action('service-check', 'Run the services’ configuration checks', 'preflightServiceCheck'),
      ],
    }),
    forEach('power', 'Ask the hypervisors about each node', {
      items: (lab) => lab.nodes.filter((node) => node.power.type === 'libvirt').map((node) => node.name),
      steps: [action('domain-state', 'Query the node’s libvirt domain', 'preflightPowerState')],
    }),
  ],
});
