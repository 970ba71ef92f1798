/**
 * Faults the simulated lab can be told to show, so that runbooks can be rehearsed against the
 * failures real labs have. Turned on by a scenario file (`runbook sim start --faults f.yaml`) or at
 * run time; controllers ask `faults.find(kind, match)` at the moment the real component would fail.
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { SimClock } from './clock.js';

/** How a downed API answers: no listener, a TCP reset after connecting, or HTTP 503. */
export const API_DOWN_ANSWERS = ['refused', 'reset', '503'] as const;
export type ApiDownAnswer = (typeof API_DOWN_ANSWERS)[number];

export const faultSchema = z.discriminatedUnion('kind', [
  /**
   * The node never comes back from a reboot (stays NotReady, or never joins): the one after writing
   * RHCOS to its disk during the install, or one for a MachineConfig update.
   */
  z.strictObject({ kind: z.literal('node-never-returns'), node: z.string().min(1) }),
  /** The node boots but never files its client CSR. */
  z.strictObject({ kind: z.literal('csr-never-appears'), node: z.string().min(1) }),
  /**
   * A CSR for a node that is not in the lab shows up (it must not be approved); with `count`, that many,
   * for `<node>-1` … `<node>-<count>` (a flood).
   */
  z.strictObject({
    kind: z.literal('rogue-csr'),
    node: z.string().min(1),
    count: z.number().int().positive().max(10_000).optional(),
  }),
  /** A ClusterOperator stays Degraded whatever is done. */
  z.strictObject({ kind: z.literal('operator-degraded'), operator: z.string().min(1) }),
  /**
   * The API is down as a real cluster's is when its load balancer has no API server behind it:
   * connections are refused (`answer: refused`, the default), reset once opened (`reset`), or
   * answered 503 with Retry-After (`503`), for `seconds` of REAL time (wall clock, whatever the
   * lab's time scale), or until cleared when `seconds` is left out.
   */
  z.strictObject({
    kind: z.literal('api-down'),
    seconds: z.number().positive().optional(),
    answer: z.coerce.string().pipe(z.enum(API_DOWN_ANSWERS)).default('refused'),
  }),
  /** The API server answers 503 with Retry-After for `seconds` of LAB time (scaled by the time scale). */
  z.strictObject({ kind: z.literal('api-unavailable'), seconds: z.number().positive() }),
  /** A helper host refuses SSH connections. */
  z.strictObject({ kind: z.literal('ssh-refused'), host: z.string().min(1) }),
  /** A PersistentVolumeClaim stays Pending. */
  z.strictObject({ kind: z.literal('pvc-never-binds'), namespace: z.string().min(1), name: z.string().min(1) }),
  /**
   * The node's IPMI BMC account has User privilege only, as one set up for monitoring: the power
   * status reads, but power and boot-device commands are refused (Insufficient privilege level).
   */
  z.strictObject({ kind: z.literal('bmc-read-only'), node: z.string().min(1) }),
  /**
   * The DNS host's real named answers `address` for `name` (a full name, or one under the cluster
   * domain: `api-int`), whatever zone the run pushed: named is given one more zone for that name.
   */
  z.strictObject({
    kind: z.literal('dns-wrong-address'),
    host: z.string().min(1),
    name: z.string().min(1),
    address: z.ipv4(),
  }),
  /**
   * The load balancer host's real HAProxy sends `port` (default 6443) nowhere: the servers of that
   * port's backend are aimed at addresses nobody answers (stale backend addresses), whatever the
   * pushed haproxy.cfg says.
   */
  z.strictObject({
    kind: z.literal('lb-port-nowhere'),
    host: z.string().min(1),
    port: z.number().int().positive().max(65535).default(6443),
  }),
]);
export type Fault = z.infer<typeof faultSchema>;
export type FaultKind = Fault['kind'];

export const scenarioSchema = z.strictObject({ faults: z.array(faultSchema).default([]) });

/** Each fault kind: its fields and what it does, for `runbook sim fault --help` and error messages. */
export const FAULT_HELP: Readonly<Record<FaultKind, readonly [fields: string, effect: string]>> = {
  'node-never-returns': ['node=N', 'the node never comes back from a reboot (install or MachineConfig update)'],
  'csr-never-appears': ['node=N', 'the node boots but never files its client CSR'],
  'rogue-csr': ['node=N [count=C]', 'a client CSR for a node the lab does not have appears (C: N-1 … N-C)'],
  'operator-degraded': ['operator=O', 'the ClusterOperator stays Degraded'],
  'api-down': [
    '[seconds=S] [answer=A]',
    'the API is down for S REAL seconds, or until cleared without S; A is refused (connections\n' +
      ' '.repeat(46) +
      'refused, the default), reset (TCP reset after connecting) or 503 (Retry-After)',
  ],
  'api-unavailable': ['seconds=S', 'the API answers 503 with Retry-After for S seconds of LAB time (time-scaled)'],
  'ssh-refused': ['host=H', 'the helper host refuses SSH connections'],
  'pvc-never-binds': ['namespace=NS name=PVC', 'the PersistentVolumeClaim stays Pending'],
  'bmc-read-only': ['node=N', "the node's IPMI BMC refuses power and boot-device commands (user privilege only)"],
  'dns-wrong-address': ['host=H name=N address=A', "the DNS host's named answers A for N (api-int: under the cluster)"],
  'lb-port-nowhere': ['host=H [port=P]', "the load balancer's HAProxy sends port P (6443) to servers nobody answers"],
};

export function faultHelpLines(): string[] {
  return Object.entries(FAULT_HELP).map(
    ([kind, [fields, effect]]) => `  ${kind.padEnd(19)} ${fields.padEnd(23)} ${effect}`,
  );
}

/** The faults in force. Emits `change` (the new list) whenever the set changes, `added` (the fault) on add. */
export class Faults extends EventEmitter {
  private readonly active: Fault[] = [];

  constructor(initial: readonly Fault[] = []) {
    super();
    // Every controller of a lab, the outage tracker and the api-down proxy follow the faults: more than Node's 10.
    this.setMaxListeners(50);
    for (const fault of initial) this.add(fault);
  }

  list(): readonly Fault[] {
    return [...this.active];
  }

  add(fault: Fault): void {
    const parsed = faultSchema.parse(fault);
    this.active.push(parsed);
    this.emit('added', parsed);
    this.emit('change', this.list());
  }

  /** Removes one fault, by identity (as `list()` returned it). */
  remove(fault: Fault): void {
    const index = this.active.indexOf(fault);
    if (index < 0) return;
    this.active.splice(index, 1);
    this.emit('change', this.list());
  }

  /** Removes every fault. */
  clearAll(): void {
    if (this.active.length === 0) return;
    this.active.length = 0;
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
      (fault): fault is Extract<Fault, { kind: K }> =>
        fault.kind === kind && match(fault as Extract<Fault, { kind: K }>),
    );
  }
}

/** Describes zod issues as `path: message` lines. */
function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
}

/** Reads a scenario file (`faults: [...]`, YAML or JSON); the error names the file and each bad field. */
export async function loadScenario(file: string): Promise<Fault[]> {
  let document: unknown;
  try {
    document = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `cannot read the fault scenario ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const result = scenarioSchema.safeParse(document ?? {});
  if (!result.success) {
    const kinds = faultSchema.options.map((option) => option.shape.kind.value).join(', ');
    throw new Error(
      `the fault scenario ${file} is not valid (each fault needs a kind among ${kinds}):\n  ${issueLines(result.error).join('\n  ')}`,
    );
  }
  return result.data.faults;
}

export type Availability = { ok: true } | { ok: false; retryAfterSeconds: number; answer?: ApiDownAnswer };

/** Which answer wins when several outages overlap: no listener hides the rest. */
const ANSWER_ORDER: readonly ApiDownAnswer[] = ['refused', 'reset', '503'];

/**
 * The API outages of `api-down` faults (REAL seconds, a wall-clock timer) and `api-unavailable`
 * faults (LAB seconds, the lab clock): each removes itself when its time is up. `availability()` is
 * what the API server asks before answering (its `refreshAvailability()` is called on every change).
 */
export function trackApiOutages(
  faults: Faults,
  clock: SimClock,
): { availability: () => Availability; stop: () => void } {
  const ends = new Map<Fault, { endsAt?: number; answer: ApiDownAnswer }>();
  const cancels = new Map<Fault, () => void>();
  const start = (fault: Fault): void => {
    if (ends.has(fault)) return;
    if (fault.kind === 'api-unavailable') {
      const labMs = fault.seconds * 1000;
      ends.set(fault, { endsAt: Date.now() + labMs * clock.timeScale, answer: '503' });
      cancels.set(
        fault,
        clock.after(labMs, () => faults.remove(fault)),
      );
    } else if (fault.kind === 'api-down') {
      if (fault.seconds === undefined) {
        ends.set(fault, { answer: fault.answer });
        return;
      }
      const ms = fault.seconds * 1000;
      ends.set(fault, { endsAt: Date.now() + ms, answer: fault.answer });
      const timer = setTimeout(() => faults.remove(fault), ms);
      timer.unref();
      cancels.set(fault, () => clearTimeout(timer));
    }
  };
  const forget = (list: readonly Fault[]): void => {
    for (const fault of [...ends.keys()]) {
      if (list.includes(fault)) continue;
      ends.delete(fault);
      cancels.get(fault)?.();
      cancels.delete(fault);
    }
  };
  for (const fault of faults.list()) start(fault);
  faults.on('added', start);
  faults.on('change', forget);
  return {
    availability() {
      if (ends.size === 0) return { ok: true };
      const outages = [...ends.values()];
      const answer = ANSWER_ORDER.find((candidate) => outages.some((outage) => outage.answer === candidate))!;
      const known = outages.filter((outage) => outage.endsAt !== undefined).map((outage) => outage.endsAt!);
      const remainingMs = known.length === outages.length ? Math.max(...known) - Date.now() : 10_000;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)), answer };
    },
    stop() {
      faults.off('added', start);
      faults.off('change', forget);
      for (const cancel of cancels.values()) cancel();
    },
  };
}

/** Path of the fault admin endpoint on the simulated API server. */
export const FAULTS_ROUTE = '/simulator/faults';

/**
 * The fault admin endpoint: `GET` lists the faults in force, `POST` (a fault as JSON) adds one,
 * `DELETE` clears them all, or those of one kind with `?kind=`. Mounted on the API server, behind
 * its bearer token.
 */
export function faultsAdminHandler(
  faults: Faults,
  /** Resolves once the lab follows the faults in force (daemons reloaded): a reply means it is so. */
  followed: () => Promise<void> = () => Promise.resolve(),
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (code: number, body: unknown): void => {
      response.writeHead(code, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    if (request.method === 'GET') return reply(200, { faults: faults.list() });
    if (request.method === 'DELETE') {
      const kind = url.searchParams.get('kind');
      if (kind === null) faults.clearAll();
      else faults.clear(kind as FaultKind);
      await followed();
      return reply(200, { faults: faults.list() });
    }
    if (request.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, {
          message: 'the body must be a fault as JSON, e.g. {"kind":"api-down","seconds":30}',
        });
      }
      const result = faultSchema.safeParse(body);
      if (!result.success) return reply(422, { message: `not a valid fault: ${issueLines(result.error).join('; ')}` });
      faults.add(result.data);
      await followed();
      return reply(201, { faults: faults.list() });
    }
    response.setHeader('Allow', 'GET, POST, DELETE');
    return reply(405, { message: `${request.method} is not supported here; use GET, POST or DELETE` });
  };
}
