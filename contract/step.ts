/**
 * The contract between the engine and the step activities: what a step hands its activity and what
 * the activity reports back. The engine (workflows/), the activities, the transports and the runbook
 * definitions import it; it imports nothing of the project's but the lab's types (lab/ is a leaf too),
 * so no import runs upward or in a circle through it (test/engine/import-graph.test.ts).
 *
 * Workflow-safe: types only.
 */
import type { Lab } from '../lab/schema.js';

/** Plain JSON data a step hands to its activity (`StepContext.params`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where a rehearsal's simulated lab answers (loopback endpoints and the simulated API server). */
export interface RehearsalInput {
  /** JSON file that maps lab services (SSH hosts, API server) to loopback endpoints. */
  endpointsFile: string;
  /** Kubeconfig of the simulated API server. */
  kubeconfig: string;
}

/**
 * The single argument of every step activity. `lab` holds secret references only; activities resolve
 * secrets themselves and never put them into outcomes, heartbeats or errors.
 */
export interface StepContext {
  runbook: string;
  /** Path of the step: `dns.publish-zones`, or `nodes.boot[master1].power-on` inside a for-each. */
  stepId: string;
  lab: Lab;
  /** The for-each item this step runs for (the innermost one when for-each steps nest). */
  item?: string;
  rehearsal?: RehearsalInput;
  /** Static parameters from the step definition. */
  params?: Record<string, JsonValue>;
  /** Wait steps: how often to poll and how long to wait in total (ms). */
  poll?: { intervalMs: number; deadlineMs: number };
  /**
   * A wait that passed its deadline, scheduled again while its run is paused: keep checking for at
   * most `for` (a lab duration, `4h`; lab time in a rehearsal) instead of the deadline.
   */
  watch?: { for: string };
}

/** A lab by reference: its name and content digest (./lab-digest.ts). */
export interface LabRef {
  name: string;
  /** SHA-256 of the lab's JSON, hex. */
  digest: string;
}

/**
 * What the workflow hands a step activity (the wire form of `StepContext`): the lab by reference, and
 * inline too only on the first step after the run's lab changed (its start, `lab.load`, a corrected lab on
 * resume). The worker's step wrapper resolves the reference (activities/engine/lab-cache.ts) and the
 * activity gets a `StepContext` with the whole lab. A `StepContext` is a `StepRequest` (lab inline, no
 * reference): runs scheduled before references existed, and tests that call an activity directly.
 */
export interface StepRequest extends Omit<StepContext, 'lab'> {
  lab?: Lab;
  labRef?: LabRef;
}

/** What a step activity reports: whether it changed anything, and a short line for the operator. */
export interface StepOutcome {
  changed: boolean;
  detail: string;
  /** Only from the `lab.load` step of a scheduled run: the lab read from the lab file. */
  lab?: Lab;
  /** Only from a wait watching after its deadline (`StepContext.watch`): how long until it held, `2m of lab time`. */
  watched?: string;
}

/** What the worker's step wrapper returns to the workflow: the outcome and the attempt it took. */
export interface StepResult extends StepOutcome {
  attempt: number;
}
