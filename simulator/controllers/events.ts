/**
 * Kubernetes Events as the real components record them: one Event per involved object, reason and
 * message, whose `count` and `lastTimestamp` grow when the same thing happens again (as the event
 * recorder's aggregation does), so `oc get events` / `oc describe` show why something waits.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../apiserver/store.js';
import type { LabApi } from '../lab-api.js';
import { now } from '../openshift-objects.js';

export type EventType = 'Normal' | 'Warning';

/**
 * Records (or repeats) an event about `involved`; events of cluster-scoped objects go to `default`.
 * Never fails: callers need not wait (with the in-process store it is written before this returns).
 */
export async function recordEvent(
  api: LabApi,
  involved: KubeObject,
  type: EventType,
  reason: string,
  message: string,
  component: string,
): Promise<void> {
  const namespace = involved.metadata.namespace ?? 'default';
  const digest = createHash('sha1')
    .update(`${involved.metadata.uid}\0${reason}\0${message}`)
    .digest('hex')
    .slice(0, 16);
  const name = `${involved.metadata.name}.${digest}`;
  const timestamp = now();
  try {
    if (api.get('events', namespace, name)) {
      await api.mutate('events', namespace, name, (event) => {
        event.count = ((event.count as number | undefined) ?? 1) + 1;
        event.lastTimestamp = timestamp;
      });
      return;
    }
    await api.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        ...(involved.metadata.namespace ? { namespace: involved.metadata.namespace } : {}),
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      type,
      reason,
      message,
      source: { component },
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      reportingComponent: component,
    });
  } catch {
    // An event that cannot be written (its namespace is going away) is dropped, as the recorder does.
  }
}
