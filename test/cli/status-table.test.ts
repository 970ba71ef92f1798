/** `runbook status`'s step table: fits the terminal it is shown in, and keeps every word when piped. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { formatDuration, formatStepTable, timeSummary } from '../../cli/runs/display.js';
import type { RunbookProgress, StepProgress } from '../../workflows/engine/api.js';

const longTitle = 'Publish the cluster zone and its reverse zones on the DNS host of the lab';
const longMessage = `zone intra.example.com: ${'serial bumped, records written; '.repeat(6)}reloaded`;

/** The moment the table is printed: 3m05s after master1 began to power on. */
const now = new Date('2026-01-01T02:03:47.000Z');

const steps: StepProgress[] = [
  {
    id: 'dns.publish-zones',
    title: longTitle,
    kind: 'action',
    status: 'changed',
    attempts: 1,
    message: longMessage,
    startedAt: '2026-01-01T02:00:00.000Z',
    finishedAt: '2026-01-01T02:00:42.000Z',
  },
  {
    id: 'nodes.boot',
    title: 'Boot each node',
    kind: 'for-each',
    status: 'running',
    attempts: 0,
    startedAt: '2026-01-01T02:00:42.000Z',
    items: [
      {
        item: 'master1',
        status: 'running',
        steps: [
          {
            id: 'power-on',
            title: 'Power the node on',
            kind: 'action',
            status: 'running',
            attempts: 2,
            message: 'x',
            startedAt: '2026-01-01T02:00:42.000Z',
          },
        ],
      },
      {
        item: 'master2',
        status: 'pending',
        steps: [{ id: 'power-on', title: 'Power the node on', kind: 'action', status: 'pending', attempts: 0 }],
      },
    ],
  },
];

/** Printed width of each line (colours do not count). */
const widths = (text: string) => text.split('\n').map((line) => stripVTControlCharacters(line).length);

describe('status step table', () => {
  it('prints every title and message whole when there is no terminal width (piped)', () => {
    const table = formatStepTable(steps, undefined, now);
    expect(table).toContain(longTitle);
    expect(table).toContain(longMessage);
    expect(table).not.toContain('…');
    expect(table).toMatch(/nodes\.boot\[master1\]\.power-on\s+Power the node on\s+\S*running\S*\s+2\s+3m05s\s+x/);
  });

  it.each([80, 120, 260])('fits a terminal %i columns wide', (width) => {
    const table = formatStepTable(steps, width, now);
    for (const lineWidth of widths(table)) expect(lineWidth).toBeLessThanOrEqual(width);
    expect(table).toMatch(/STEP\s+TITLE\s+STATUS\s+ATTEMPTS\s+TIME\s+LAST MESSAGE/);
    expect(table).toMatch(/power-on\s+Power the/);
  });

  it('uses a wide terminal for longer titles than a narrow one', () => {
    const titleIn = (width: number) => /dns\.publish-zones\s+(.+?)\s{2}/.exec(formatStepTable(steps, width))![1]!;
    expect(titleIn(80).length).toBeLessThan(titleIn(260).length);
    expect(titleIn(80).endsWith('…')).toBe(true);
    expect(titleIn(260)).toBe(longTitle);
  });

  it('shows how long each step took, or has taken so far, and nothing for steps not started', () => {
    const table = formatStepTable(steps, undefined, now);
    expect(table).toMatch(/dns\.publish-zones\s.*\s42s\s+zone intra/);
    expect(table).toMatch(/nodes\.boot\s+Boot each node\s+\S*running\S*\s+0\s+3m05s/);
    expect(table).toMatch(/nodes\.boot\[master2\]\.power-on\s+Power the node on\s+\S*pending\S*\s+0\s*$/m);
  });
});

describe('where the time goes', () => {
  const progress: RunbookProgress = {
    runbook: 'install',
    lab: 'intra',
    state: 'running',
    steps,
    startedAt: '2026-01-01T02:00:00.000Z',
    updatedAt: '2026-01-01T02:00:42.000Z',
  };

  it('gives the total and the longest leaf steps, longest first', () => {
    expect(timeSummary(progress, now)).toBe(
      'time: 3m47s in total; longest steps: nodes.boot[master1].power-on 3m05s, dns.publish-zones 42s',
    );
  });

  it.each([
    [850, '850ms'],
    [42_000, '42s'],
    [185_000, '3m05s'],
    [3_720_000, '1h02m'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
