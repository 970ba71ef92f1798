/**
 * `install`: from bare metal to a running OpenShift 4 cluster, in the order of the procedure it encodes.
 * Preflight; DNS, then a wait until it is served; DHCP; PXE configs and the RHCOS boot files; HAProxy with
 * the bootstrap node; openshift-install (install-config, manifests, ignition configs, published on the
 * HTTP hosts); bootstrap and masters switched on; bootstrap-complete; HAProxy without the bootstrap node
 * and the bootstrap node off; infra and compute nodes on, their CSRs approved until every node is Ready;
 * operators settled, the registry on emptyDir, the ClusterVersion available; LDAP login.
 *
 *   runbook start install --lab lab.yaml --follow
 *
 * Every step converges: a second run on an installed lab reports every step unchanged.
 *
 * The steps that use the install folder (openshift-install, the ignition files, the admin kubeconfig
 * the cluster steps and the `unlessBootstrapped` checks read) run only on the worker started with
 * `runbook worker --lab <lab name>` on the machine that keeps the folder: the runbook's default
 * (`defaults: { on: 'lab' }`); the helper-host pushes and the power steps say `on: 'any'`.
 */
import type { Lab } from '../lab/schema.js';
import { defineRunbook } from '../workflows/engine/definition.js';
import { action, condition, forEach, wait } from './steps.js';
import { powerSteps } from './power-steps.js';
import { preflightRunbook } from './preflight.js';

const nodesWithRole =
  (...roles: string[]) =>
  (lab: Lab) =>
    lab.nodes.filter((node) => roles.includes(node.role)).map((node) => node.name);

const hasLdap = condition('the lab has no day2.ldap block', (lab) => lab.day2.ldap !== undefined);

/** The helper-host and power steps: any worker (the lab's worker is the default of this runbook). */
const anyWorker = { on: 'any' } as const;

/** Steps of the bootstrap phase change nothing on a cluster that has bootstrapped (a second run). */
const unlessBootstrapped = { unlessBootstrapped: true };

export const installRunbook = defineRunbook({
  name: 'install',
  title: 'Install OpenShift 4 on the lab',
  description:
    'From a bare lab to a running cluster: DNS, DHCP, PXE and HAProxy on the helper hosts, openshift-install, ' +
    'bootstrap and masters, then infra and compute nodes with their CSRs approved, operators settled, the ' +
    'registry on emptyDir and LDAP login.',
  defaults: { on: 'lab' },
  steps: [
    // The preflight runbook's read-only checks first, their ids under `preflight.`.
    ...preflightRunbook.steps.map((step) => ({ ...step, id: `preflight.${step.id}` })),

    action('dns.publish', 'Publish the DNS zones and reload named', 'hostsPushDns', anyWorker),
    wait('dns.served', 'Wait until DNS answers for the cluster names', 'hostsWaitDns', {
      deadline: '10m',
      pollInterval: '5s',
      ...anyWorker,
    }),
    action('dhcp.publish', 'Publish dhcpd.conf and restart dhcpd', 'hostsPushDhcp', anyWorker),
    action('pxe.publish', 'Publish the PXE boot configs and menus', 'hostsPushPxe', anyWorker),
    forEach('pxe.boot-assets', 'Fetch the RHCOS boot files on each PXE/HTTP host', {
      items: (lab) => lab.hosts.filter((host) => host.pxe !== undefined).map((host) => host.name),
      steps: [
        action('fetch', 'Fetch and verify the boot files', 'installBootAssets', { timeout: '60m', ...anyWorker }),
      ],
    }),
    action('haproxy.with-bootstrap', 'Load balance the API with the bootstrap node', 'hostsPushHaproxyBootstrap', {
      description: 'Left as it is once the cluster has bootstrapped, so that a second run does not undo the final one.',
      params: unlessBootstrapped,
    }),

    action('openshift-install.binary', 'Check the openshift-install binary', 'installCheckBinary'),
    action('openshift-install.config', 'Write install-config.yaml', 'installWriteConfig'),
    action('openshift-install.manifests', 'Create the manifests', 'installCreateManifests', {
      timeout: '15m',
    }),
    action('openshift-install.masters-unschedulable', 'Keep the masters unschedulable', 'installMastersSchedulable'),
    action('openshift-install.ignition', 'Create the ignition configs', 'installCreateIgnition', {
      timeout: '15m',
    }),
    action('openshift-install.publish', 'Publish the ignition configs on the HTTP hosts', 'installPublishIgnition'),
    action('ignition.fresh', 'Check the ignition configs have not expired', 'installIgnitionFresh'),

    ...powerSteps('bootstrap.power-on', 'Power on the bootstrap node (PXE)', {
      nodes: nodesWithRole('bootstrap'),
      to: 'on',
      pxe: true,
      params: unlessBootstrapped,
    }),
    ...powerSteps('masters.power-on', 'Power on the masters (PXE)', {
      nodes: nodesWithRole('master'),
      to: 'on',
      pxe: true,
      ...anyWorker,
    }),
    wait('bootstrap.complete', 'Wait for bootstrap-complete', 'clusterWaitBootstrapComplete', {
      description:
        'The API answers, then ConfigMap kube-system/bootstrap says complete; the lab’s install.deadlines ' +
        '(bootstrapApi + bootstrapComplete) bound the wait.',
      deadline: '3h',
      pollInterval: '10s',
    }),
    action('haproxy.without-bootstrap', 'Load balance without the bootstrap node', 'hostsPushHaproxyFinal', anyWorker),
    ...powerSteps('bootstrap.power-off', 'Power off the bootstrap node', {
      nodes: nodesWithRole('bootstrap'),
      to: 'off',
      ...anyWorker,
    }),

    ...powerSteps('nodes.power-on', 'Power on the infra and compute nodes (PXE)', {
      nodes: nodesWithRole('infra', 'worker'),
      to: 'on',
      pxe: true,
      ...anyWorker,
    }),
    wait('nodes.csrs', 'Approve the nodes’ CSRs until every node is Ready', 'clusterApproveCsrs', {
      description: 'Only CSRs whose identity checks out against the inventory are approved; others stay pending.',
      deadline: '60m',
      pollInterval: '10s',
    }),

    wait(
      'operators.settled-except-registry',
      'Wait for the operators (except image-registry)',
      'clusterWaitOperatorsSettled',
      {
        params: { except: ['image-registry'] },
        deadline: '60m',
        pollInterval: '15s',
        renamedFrom: 'operators.settled-but-registry',
      },
    ),
    action('registry.emptydir', 'Give the image registry emptyDir storage', 'clusterApply', {
      params: { objects: 'registry-emptydir' },
    }),
    wait('operators.settled', 'Wait for every operator', 'clusterWaitOperatorsSettled', {
      deadline: '60m',
      pollInterval: '15s',
    }),
    wait('cluster-version.available', 'Wait for the install to complete', 'clusterWaitVersionAvailable', {
      description: 'The ClusterVersion reports Available, not Progressing, not Failing.',
      deadline: '60m',
      pollInterval: '15s',
    }),

    action('ldap.configure', 'Configure LDAP login (bind Secret, CA, OAuth)', 'clusterApply', {
      params: { objects: 'ldap' },
      when: hasLdap,
    }),
    wait('ldap.rollout', 'Wait for the authentication operator’s rollout', 'clusterWaitOperatorsSettled', {
      description: 'The OAuth change rolls out through the authentication operator; every operator settles again.',
      deadline: '30m',
      pollInterval: '10s',
      when: hasLdap,
    }),
  ],
});
