/** `runbook status`'s step table: fits the terminal it is shown in, and keeps every word when piped. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { formatStepTable } from '../../cli/runs/display.js';
import type { StepProgress } from '../../workflows/engine/api.js';

const longTitle = 'Publish the cluster zone and its reverse zones on the DNS host of the lab';
const longMessage = `zone intra.example.com: ${'serial bumped, records written; '.repeat(6)}reloaded`;

const steps: StepProgress[] = [
  { id: 'dns.publish-zones', title: longTitle, kind: 'action', status: 'changed', attempts: 1, message: longMessage },
  {
    id: 'nodes.boot',
    title: 'Boot each node',
    kind: 'for-each',
    status: 'running',
    attempts: 0,
    items: [
      {
        item: 'master1',
        status: 'running',
        steps: [
          { id: 'power-on', title: 'Power the node on', kind: 'action', status: 'running', attempts: 2, message: 'x' },
        ],
      },
    ],
  },
];

/** Printed width of each line (colours do not count). */
const widths = (text: string) => text.split('\n').map((line) => stripVTControlCharacters(line).length);

describe('status step table', () => {
  it('prints every title and message whole when there is no terminal width (piped)', () => {
    const table = formatStepTable(steps, undefined);
    expect(table).toContain(longTitle);
    expect(table).toContain(longMessage);
    expect(table).not.toContain('…');
    expect(table).toMatch(/nodes\.boot\[master1\]\.power-on\s+Power the node on\s+\S*running\S*\s+2\s+x/);
  });

  it.each([80, 120, 260])('fits a terminal %i columns wide', (width) => {
    const table = formatStepTable(steps, width);
    for (const lineWidth of widths(table)) expect(lineWidth).toBeLessThanOrEqual(width);
    expect(table).toMatch(/STEP\s+TITLE\s+STATUS\s+ATTEMPTS\s+LAST MESSAGE/);
    expect(table).toMatch(/power-on\s+Power the/);
  });

  it('uses a wide terminal for longer titles than a narrow one', () => {
    const titleIn = (width: number) => /dns\.publish-zones\s+(.+?)\s{2}/.exec(formatStepTable(steps, width))![1]!;
    expect(titleIn(80).length).toBeLessThan(titleIn(260).length);
    expect(titleIn(80).endsWith('…')).toBe(true);
    expect(titleIn(260)).toBe(longTitle);
  });
});
