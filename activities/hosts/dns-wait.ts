/**
 * The wait after the DNS push: asks named on each DNS host (over SSH, `dig @127.0.0.1`) for api,
 * api-int, a name under *.apps and every node, until each answers with the addresses the lab gives.
 */
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { pollUntil } from '../engine/poll-until.js';
import { withSsh } from '../support/lab-access.js';
import { dig, expectedNames } from './dns.js';
import { hostsForStep } from './services.js';

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);

export async function hostsWaitDns(context: StepContext): Promise<StepOutcome> {
  const hosts = hostsForStep(context.lab, 'dns', context.item);
  const names = expectedNames(context.lab);
  return pollUntil(
    context,
    { what: `DNS on ${hosts.map((host) => host.name).join(', ')} to answer for the cluster and its nodes` },
    async ({ signal }) => {
      const gaps: string[] = [];
      for (const host of hosts) {
        const hostGaps = await withSsh(context, host.name, async (session) => {
          const found: string[] = [];
          for (const { name, addresses } of names) {
            signal.throwIfAborted();
            const answer = await dig(session, name, 'A');
            if (!answer.answered) found.push(`${name}: no answer (${answer.why})`);
            else if (!sameSet(answer.records, addresses))
              found.push(`${name}: ${answer.records.join(' ') || 'no record'} (want ${addresses.join(' ')})`);
          }
          return found;
        });
        if (hostGaps.length)
          gaps.push(`${host.name}: ${hostGaps.length} of ${names.length} names wrong, first ${hostGaps[0]}`);
      }
      return gaps.length === 0
        ? { done: true, detail: `${hosts.map((host) => host.name).join(', ')} answer all ${names.length} names` }
        : { done: false, detail: gaps.join('; ') };
    },
  );
}
