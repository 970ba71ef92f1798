/**
 * Faults the simulated lab can be told to show, so that runbooks can be rehearsed against the
 * failures real labs have. Turned on by a scenario file (`runbook sim start --faults f.yaml`) or at
 * run time; controllers ask `faults.find(kind, match)` at the moment the real component would fail.
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';

export const faultSchema = z.discriminatedUnion('kind', [
  /** The node reboots for a MachineConfig update and never comes back (stays NotReady). */
  z.strictObject({ kind: z.literal('node-never-returns'), node: z.string().min(1) }),
  /** The node boots but never files its client CSR. */
  z.strictObject({ kind: z.literal('csr-never-appears'), node: z.string().min(1) }),
  /** A CSR for a node that is not in the lab shows up (it must not be approved). */
  z.strictObject({ kind: z.literal('rogue-csr'), node: z.string().min(1) }),
  /** A ClusterOperator stays Degraded whatever is done. */
  z.strictObject({ kind: z.literal('operator-degraded'), operator: z.string().min(1) }),
  /** The API server answers 503 for `seconds` (lab time) from the moment the fault is added. */
  z.strictObject({ kind: z.literal('api-unavailable'), seconds: z.number().positive() }),
  /** A helper host refuses SSH connections. */
  z.strictObject({ kind: z.literal('ssh-refused'), host: z.string().min(1) }),
  /** A PersistentVolumeClaim stays Pending. */
  z.strictObject({ kind: z.literal('pvc-never-binds'), namespace: z.string().min(1), name: z.string().min(1) }),
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultKind = Fault['kind'];

export const scenarioSchema = z.strictObject({ faults: z.array(faultSchema).default([]) });

/** The faults in force. Emits `change` whenever the set changes. */
export class Faults extends EventEmitter {
  private readonly active: Fault[] = [];

  constructor(initial: readonly Fault[] = []) {
    super();
    for (const fault of initial) this.add(fault);
  }

  list(): readonly Fault[] {
    return [...this.active];
  }

  add(fault: Fault): void {
    this.active.push(faultSchema.parse(fault));
    this.emit('change', this.list());
  }

  /** Removes the faults of `kind` for which `match` holds (all of that kind without `match`). */
  clear<K extends FaultKind>(kind: K, match: (fault: Extract<Fault, { kind: K }>) => boolean = () => true): void {
    const before = this.active.length;
    for (let i = this.active.length - 1; i >= 0; i--) {
      const fault = this.active[i]!;
      if (fault.kind === kind && match(fault as Extract<Fault, { kind: K }>)) this.active.splice(i, 1);
    }
    if (this.active.length !== before) this.emit('change', this.list());
  }

  /** The first fault of `kind` for which `match` holds. */
  find<K extends FaultKind>(
    kind: K,
    match: (fault: Extract<Fault, { kind: K }>) => boolean = () => true,
  ): Extract<Fault, { kind: K }> | undefined {
    return this.active.find(
      (fault): fault is Extract<Fault, { kind: K }> => fault.kind === kind && match(fault as Extract<Fault, { kind: K }>),
    );
  }
}
