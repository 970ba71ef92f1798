/**
 * Reading what a wait waits for: a Kubernetes condition (`Available=True`) or a value at a path
 * (`data.status`, `status.conditions[type=Available].status`, `status.readyReplicas`).
 */

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

type WithConditions = { status?: { conditions?: Condition[] } } | undefined;

export function conditionOf(object: unknown, type: string): Condition | undefined {
  return (object as WithConditions)?.status?.conditions?.find((condition) => condition.type === type);
}

export function hasCondition(object: unknown, type: string, status = 'True'): boolean {
  return conditionOf(object, type)?.status === status;
}

/**
 * `Available=True`, with the condition's message when it is not the wanted status (`False` for
 * conditions such as Degraded, whose message says what is wrong exactly when they are True).
 */
export function describeCondition(object: unknown, type: string, wanted = 'True'): string {
  const condition = conditionOf(object, type);
  if (!condition) return `${type} not reported`;
  const why = condition.message || condition.reason;
  return `${type}=${condition.status}${why && condition.status !== wanted ? ` (${why})` : ''}`;
}

/** The steps of a path: `status.conditions[type=Available].status` → status, conditions, {type: Available}, status. */
export function parsePath(path: string): Array<string | number | { key: string; value: string }> {
  const steps: Array<string | number | { key: string; value: string }> = [];
  const pattern = /([^.[\]]+)|\[([^\]]*)\]/g;
  let consumed = 0;
  for (const match of path.matchAll(pattern)) {
    const between = path.slice(consumed, match.index);
    if (between !== '' && between !== '.') throw new Error(`cannot read "${path}" near "${between}"`);
    consumed = match.index + match[0].length;
    if (match[1] !== undefined) steps.push(match[1]);
    else if (/^\d+$/.test(match[2]!)) steps.push(Number(match[2]));
    else {
      const selector = /^([^=]+)=(.*)$/.exec(match[2]!);
      if (!selector) throw new Error(`cannot read "${path}": [${match[2]}] must be an index or key=value`);
      steps.push({ key: selector[1]!, value: selector[2]!.replace(/^["']|["']$/g, '') });
    }
  }
  if (steps.length === 0 || consumed !== path.length)
    throw new Error(`cannot read "${path}" as a path such as data.status`);
  return steps;
}

/** The value at `path` in `object`, or undefined when a step of it is missing. */
export function valueAt(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const step of parsePath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof step === 'object') {
      if (!Array.isArray(current)) return undefined;
      current = current.find((item) => String((item as Record<string, unknown>)?.[step.key]) === step.value);
    } else {
      current = (current as Record<string | number, unknown>)[step];
    }
  }
  return current;
}
