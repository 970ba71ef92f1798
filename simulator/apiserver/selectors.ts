/**
 * Label and field selectors as kube-apiserver parses them from `?labelSelector=` / `?fieldSelector=`,
 * and `metav1.LabelSelector` objects (matchLabels + matchExpressions) as controllers evaluate them.
 */
import { badRequest } from './errors.js';
import { valueAt } from './object-path.js';

export type LabelRequirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export type Labels = Readonly<Record<string, string>> | undefined;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas that are not inside `( … )`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseError(selector: string, why: string) {
  return badRequest(`unable to parse requirement: ${why} in label selector "${selector}"`);
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw parseError(selector, `invalid label key "${key}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (value.length > 63 || !VALUE.test(value)) throw parseError(selector, `invalid label value "${value}"`);
  return value;
}

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k`; throws a 400 ApiError on bad syntax. */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (!selector) return [];
  return splitTopLevel(selector).map((term): LabelRequirement => {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim(), selector));
      return { key: checkKey(set[1]!, selector), op: set[2] as 'in' | 'notin', values };
    }
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim(), selector), op: '!exists' };
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (eq) {
      const value = checkValue(eq[3]!.trim(), selector);
      return { key: checkKey(eq[1]!, selector), op: eq[2] === '!=' ? 'notin' : 'in', values: [value] };
    }
    return { key: checkKey(term, selector), op: 'exists' };
  });
}

export function matchesRequirements(requirements: readonly LabelRequirement[], labels: Labels): boolean {
  return requirements.every((req) => {
    const value = labels?.[req.key];
    switch (req.op) {
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
      case 'in':
        return value !== undefined && req.values.includes(value);
      case 'notin':
        return value === undefined || !req.values.includes(value);
    }
  });
}

/** True when `labels` match the selector string (`""` and undefined match everything). */
export function matchesLabelSelector(selector: string | undefined, labels: Labels): boolean {
  return matchesRequirements(parseLabelSelector(selector), labels);
}

/** A `metav1.LabelSelector`, as MachineConfigPools, IngressControllers and workloads carry it. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[] | null;
}

/**
 * True when `labels` match a `metav1.LabelSelector`. As in Kubernetes, an empty selector `{}`
 * matches everything and a missing (null/undefined) selector matches nothing.
 */
export function matchesSelectorObject(selector: LabelSelectorObject | null | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const requirements: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    key,
    op: 'in',
    values: [value],
  }));
  for (const expr of selector.matchExpressions ?? []) {
    const ops = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' } as const;
    const op = ops[expr.operator];
    requirements.push(
      op === 'in' || op === 'notin' ? { key: expr.key, op, values: expr.values ?? [] } : { key: expr.key, op },
    );
  }
  return matchesRequirements(requirements, labels);
}

/** The `labelSelector` query string of a `metav1.LabelSelector` (`a=b,c in (d)`), for list calls. */
export function selectorObjectToString(selector: LabelSelectorObject): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = `(${(expr.values ?? []).join(',')})`;
    if (expr.operator === 'In') terms.push(`${expr.key} in ${values}`);
    else if (expr.operator === 'NotIn') terms.push(`${expr.key} notin ${values}`);
    else if (expr.operator === 'Exists') terms.push(expr.key);
    else terms.push(`!${expr.key}`);
  }
  return terms.join(',');
}

export interface FieldRequirement {
  field: string;
  equals: boolean;
  value: string;
}

/** Fields whose absence reads as a value (a missing `spec.unschedulable` is `false`). */
const FIELD_DEFAULTS: Record<string, string> = { 'spec.unschedulable': 'false', 'spec.hostNetwork': 'false' };

/**
 * Parses `metadata.name=x,spec.nodeName!=y`. `supported` lists the fields the type allows besides
 * metadata.name/namespace; others are a 400 as the real server answers.
 */
export function parseFieldSelector(
  selector: string | undefined,
  supported: readonly string[],
  custom: boolean,
): FieldRequirement[] {
  if (!selector) return [];
  const allowed = ['metadata.name', 'metadata.namespace', ...supported];
  return splitTopLevel(selector).map((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = match[1]!.trim();
    if (!allowed.includes(field)) {
      throw badRequest(
        custom
          ? `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`,
      );
    }
    return { field, equals: match[2] !== '!=', value: match[3]!.trim() };
  });
}

/** The string value of a dotted field of an object, as field selectors compare it. */
export function fieldValue(obj: unknown, field: string): string {
  const node = valueAt(obj, field);
  if (node === undefined || node === null) return FIELD_DEFAULTS[field] ?? '';
  return typeof node === 'object' ? JSON.stringify(node) : String(node);
}

export function matchesFields(requirements: readonly FieldRequirement[], obj: unknown): boolean {
  return requirements.every((req) => (fieldValue(obj, req.field) === req.value) === req.equals);
}
