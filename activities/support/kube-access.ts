/**
 * How step activities reach the cluster: the kubeconfig `openshift-install` wrote into the install
 * folder on a real run (or the step's `kubeconfig` parameter), the simulated API server's in a
 * rehearsal (where transport/kube.ts refuses any server off loopback).
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { kubeClientFor, type KubeClients } from '../../transport/kube.js';
import { readEndpointsFile } from '../../transport/targets.js';
import type { StepContext } from '../../contract/step.js';
import { installKubeconfig } from '../install/folder.js';
import { StepErrorType } from '../../contract/error-types.js';

/** The kubeconfig a step uses; its content (a client certificate) is never read into the history. */
export function kubeconfigPathFor(context: StepContext): string {
  if (context.rehearsal) return context.rehearsal.kubeconfig;
  const path = context.params?.kubeconfig;
  if (path === undefined) return installKubeconfig(context);
  if (typeof path !== 'string' || path === '') {
    throw ApplicationFailure.nonRetryable(
      `step ${context.stepId} has a kubeconfig parameter that is not a path: give a file path, or ` +
        `none for the install folder's auth/kubeconfig`,
      StepErrorType.KubeconfigMissing,
    );
  }
  return path;
}

/**
 * In a rehearsal, the kubeconfig that reaches the API through the lab's load balancer (the first
 * haproxy host's real HAProxy), as `openshift-install wait-for` reaches https://api.<domain>:6443 on
 * hardware; the API server's own kubeconfig when the lab has no load balancer. Outside a rehearsal,
 * the step's kubeconfig (the install folder's names the load balancer already).
 */
export async function balancedKubeconfigPathFor(context: StepContext): Promise<string> {
  if (!context.rehearsal) return kubeconfigPathFor(context);
  const schema = z.object({ apiServer: z.object({ balanced: z.object({ kubeconfig: z.string() }).optional() }) });
  const endpoints = await readEndpointsFile(context.rehearsal.endpointsFile, schema);
  return endpoints.apiServer.balanced?.kubeconfig ?? context.rehearsal.kubeconfig;
}

export async function kubeFor(context: StepContext, kubeconfigPath = kubeconfigPathFor(context)): Promise<KubeClients> {
  try {
    return await kubeClientFor({ kubeconfigPath, rehearsal: context.rehearsal !== undefined });
  } catch (error) {
    if ((error as Error).name === 'RehearsalTargetError') throw error;
    // A kubeconfig that does not load will not load on a retry either.
    throw ApplicationFailure.nonRetryable(
      `cannot use the kubeconfig ${kubeconfigPath}: ${(error as Error).message}`,
      StepErrorType.KubeconfigUnusable,
    );
  }
}

/**
 * `kubeFor` for a step factory that builds its closures synchronously: the clients load (client-node on
 * the first use in the process) while the closures are made, and a kubeconfig that does not load fails
 * the first closure that awaits them, never as an unhandled rejection.
 */
export function kubeLater(context: StepContext): Promise<KubeClients> {
  const clients = kubeFor(context);
  clients.catch(() => undefined);
  return clients;
}
