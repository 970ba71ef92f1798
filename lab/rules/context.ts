/**
 * What every cross-field rule gets: the lab draft (fields that passed the schema) and `report`.
 * Rules skip what the draft lacks: the schema has already reported it.
 */
import type { LabDraft, Draft } from '../draft.js';
import type { PathSegment, RawIssue } from '../issues.js';
import { parseNetwork, type Network } from '../ip.js';
import type { Host, Node } from '../schema.js';

export interface RuleContext {
  readonly lab: LabDraft;
  report(path: readonly PathSegment[], message: string): void;
}

export type Rule = (context: RuleContext) => void;

export function runRules(lab: LabDraft, rules: readonly Rule[]): RawIssue[] {
  const issues: RawIssue[] = [];
  const context: RuleContext = { lab, report: (path, message) => issues.push({ path, message }) };
  for (const rule of rules) rule(context);
  return issues;
}

export interface Indexed<T> {
  readonly index: number;
  readonly item: T;
}

/** The nodes that could be read, with their index in the file. */
export function nodesOf(lab: LabDraft): Array<Indexed<Draft<Node>>> {
  return indexed(lab.nodes);
}

export function hostsOf(lab: LabDraft): Array<Indexed<Draft<Host>>> {
  return indexed(lab.hosts);
}

export function indexed<T>(items: ReadonlyArray<T | undefined> | undefined): Array<Indexed<T>> {
  return (items ?? []).flatMap((item, index) => (item === undefined ? [] : [{ index, item }]));
}

/** The node subnet, when its CIDR is valid. */
export function subnetOf(lab: LabDraft): Network | undefined {
  return lab.network?.cidr === undefined ? undefined : parseNetwork(lab.network.cidr);
}

/** Whether every node could be read, so that counting them (roles, replicas) means something. */
export function allNodesRead(lab: LabDraft): boolean {
  return lab.nodes !== undefined && lab.nodes.every((node) => node?.role !== undefined && node.name !== undefined);
}

/** `nodes[3] (master1)`: how messages point at another entry. */
export function describe(kind: 'nodes' | 'hosts', entry: Indexed<{ name?: string | undefined }>): string {
  return entry.item.name === undefined ? `${kind}[${entry.index}]` : `${kind}[${entry.index}] (${entry.item.name})`;
}

/** Joins values for a message: `a, b and c`. */
export function listOf(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values.at(-1)}`;
}
